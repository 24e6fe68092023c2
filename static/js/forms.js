/* Rejected forms (templates/includes/error_summary.html): on load, focus goes to the first
   field in error, or to the summary when the first error belongs to no field; a link of the
   summary focuses its field instead of only scrolling to it. Without this file the links
   still work as plain anchors. */
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }

  var CONTROLS = "input:not([type=hidden]), select, textarea, button";

  /* The control behind an id: the element itself, or the first control inside it (a group
     of checkboxes renders as a <div> holding them). */
  function controlFor(id) {
    var element = document.getElementById(id);
    if (!element || element.matches(CONTROLS)) {
      return element;
    }
    return element.querySelector(CONTROLS);
  }

  /* What to bring into view with the control, so its question shows above it: the legend
     of a group of choices, else the field's label. */
  function captionFor(control) {
    if (control.type === "checkbox" || control.type === "radio") {
      var fieldset = control.closest("fieldset");
      var legend = fieldset && fieldset.querySelector("legend");
      if (legend) {
        return legend;
      }
    }
    if (control.labels && control.labels.length) {
      return control.labels[0];
    }
    return control;
  }

  function focusControl(id) {
    var control = controlFor(id);
    if (!control) {
      return false;
    }
    captionFor(control).scrollIntoView({ block: "start" });
    control.focus({ preventScroll: true });
    return document.activeElement === control;
  }

  function focusSummary() {
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }

  function targetOf(link) {
    var href = link.getAttribute("href") || "";
    return href.charAt(0) === "#" ? decodeURIComponent(href.slice(1)) : "";
  }

  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (link && focusControl(targetOf(link))) {
      event.preventDefault();
    }
  });

  var first = summary.querySelector("li");
  var firstLink = first && first.querySelector("a[href^='#']");
  if (!firstLink || !focusControl(targetOf(firstLink))) {
    focusSummary();
  }
})();
