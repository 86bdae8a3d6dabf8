// Recertification Portal: show one category's entry form at a time. Without JavaScript every
// category stays visible, so the page works either way.
(function () {
  "use strict";
  document.querySelectorAll("[data-category-chooser]").forEach(function (nav) {
    var section = nav.closest("section");
    var cards = Array.prototype.slice.call(section.querySelectorAll("[data-category-card]"));
    var links = Array.prototype.slice.call(nav.querySelectorAll("a[href^='#']"));
    if (!cards.length) { return; }

    function show(id, focus) {
      cards.forEach(function (card) { card.hidden = card.id !== id; });
      links.forEach(function (link) {
        var current = link.getAttribute("href") === "#" + id;
        link.classList.toggle("active", current);
        if (current) { link.setAttribute("aria-current", "true"); } else { link.removeAttribute("aria-current"); }
      });
      if (focus) {
        var heading = document.getElementById(id).querySelector("h3");
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
      }
    }

    links.forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var id = link.getAttribute("href").slice(1);
        show(id, true);
        history.replaceState(null, "", "#" + id);
      });
    });

    // Open the category whose form has errors, or the one in the address, or the first.
    var invalid = section.querySelector(
      "[data-category-card] .is-invalid, [data-category-card] .alert-danger, [data-category-card] [data-repeat-warning]"
    );
    var fromHash = window.location.hash && cards.filter(function (card) {
      return "#" + card.id === window.location.hash || card.querySelector(window.location.hash.replace(/[^#\w-]/g, ""));
    })[0];
    var start = invalid ? invalid.closest("[data-category-card]") : (fromHash || cards[0]);
    show(start.id, false);
  });
})();

// After a save the page opens on the "Just saved" panel (#saved): move the focus there too, so that a
// screen reader reads the confirmation, without scrolling away from it.
(function () {
  "use strict";
  var panel = document.querySelector("[data-just-saved]");
  if (panel && window.location.hash === "#saved") { panel.focus({preventScroll: true}); }
})();
