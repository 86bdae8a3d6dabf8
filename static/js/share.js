/* Certificates page: copy a certificate's verification link. The Copy link button is shown only
 * when this script runs; without it the read-only field is there to select and copy by hand.
 * The result is announced in the field's status line (role=status, aria-live=polite). */
(function () {
  "use strict";

  function announce(button, text) {
    var status = document.getElementById(button.getAttribute("data-copy") + "-status");
    if (!status) return;
    status.textContent = "";
    // A fresh text after a short pause is announced again on a second press.
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function copyBySelection(field, button) {
    field.focus();
    field.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    button.focus();
    return copied;
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var copied = function () { announce(button, "Link copied"); };
      var notCopied = function () {
        field.focus();
        field.select();
        announce(button, "The link could not be copied: it is selected, copy it with your keyboard or menu.");
      };
      var fallback = function () {
        if (copyBySelection(field, button)) copied(); else notCopied();
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(copied, fallback);
      } else {
        fallback();
      }
    });
  });

  // The whole link is selected when the field gets focus, ready to copy.
  document.querySelectorAll("input[data-share-link]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
})();
