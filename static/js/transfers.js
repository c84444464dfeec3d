// The transfer form offers as receiving RM only the RMs of the outlet the customers come from.
(function () {
  "use strict";
  function filterTargets() {
    var from = document.getElementById("id_from_staff");
    var to = document.getElementById("id_to_staff");
    if (!from || !to) { return; }
    var chosen = from.options[from.selectedIndex];
    var branch = chosen && chosen.value ? chosen.getAttribute("data-branch") : null;
    Array.prototype.forEach.call(to.options, function (option) {
      var fits = !option.value || !branch || option.getAttribute("data-branch") === branch;
      option.hidden = !fits;
      option.disabled = !fits;
      if (!fits && option.selected) { to.value = ""; }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var from = document.getElementById("id_from_staff");
    if (from) {
      from.addEventListener("change", filterTargets);
      filterTargets();
    }
  });
})();
