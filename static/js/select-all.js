/* A "select all" checkbox: <input type="checkbox" data-select-all="NAME"> ticks or unticks
   every checkbox named NAME in its form, and follows them when they are ticked one by one.
   Without this file each box is still ticked by hand. */
(function () {
  "use strict";

  document.querySelectorAll("[data-select-all]").forEach(function (master) {
    var form = master.form || document;
    var name = master.getAttribute("data-select-all");
    function boxes() {
      return Array.prototype.filter.call(
        form.querySelectorAll('input[type="checkbox"][name="' + name + '"]'),
        function (box) { return !box.disabled; }
      );
    }
    function follow() {
      var all = boxes();
      var ticked = all.filter(function (box) { return box.checked; }).length;
      master.checked = all.length > 0 && ticked === all.length;
      master.indeterminate = ticked > 0 && ticked < all.length;
    }
    master.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = master.checked; });
    });
    form.addEventListener("change", function (event) {
      if (event.target !== master && event.target.name === name) {
        follow();
      }
    });
    follow();
  });
})();
