// Admin accessibility fix (loaded by templates/admin/base_site.html; no inline script: the CSP
// forbids it). Django's SelectFilter2 widget (groups and permissions on a user's page) puts an
// aria-label on a role-less <span> inside the filter box's label, which ARIA prohibits (axe
// aria-prohibited-attr, serious). role="img" makes the span a named image, so the label reads
// "Type into this box to filter down the list of available groups." as Django intends.
(function () {
  "use strict";
  function fix(root) {
    root.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (span) {
      span.setAttribute("role", "img");
    });
  }
  new MutationObserver(function () { fix(document); })
    .observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", function () { fix(document); });
})();
