// The channel code form. The staff picker's search box searches (htmx) instead of
// submitting the form on Enter. The welcome attachments: each row shows only the fields
// its type uses, and "Add an attachment" appends a row from the formset's empty form.
// Without JavaScript every field shows and the form still works.
(function () {
  var search = document.getElementById("staff-search");
  if (search) {
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  }
})();
(function () {
  var box = document.getElementById("welcome-attachments");
  if (!box) { return; }
  var FIELDS = {
    "": ["msgtype"],
    link: ["msgtype", "title", "url", "pic_url", "desc"],
    image: ["msgtype", "pic_url", "media_id"],
    miniprogram: ["msgtype", "title", "appid", "page", "media_id"]
  };
  var rows = document.getElementById("welcome-attachment-rows");
  var template = document.getElementById("welcome-attachment-empty");
  var total = box.querySelector("input[name$='-TOTAL_FORMS']");
  var add = document.getElementById("add-welcome-attachment");
  var max = parseInt(box.dataset.max, 10) || 9;

  function show(row) {
    var select = row.querySelector("[data-attachment-type]");
    var shown = FIELDS[select ? select.value : ""] || FIELDS[""];
    row.querySelectorAll("[data-attachment-field]").forEach(function (cell) {
      var name = cell.dataset.attachmentField;
      var hasError = cell.querySelector(".is-invalid") !== null;
      cell.hidden = shown.indexOf(name) === -1 && !hasError;
    });
  }

  function refreshAdd() {
    add.hidden = parseInt(total.value, 10) >= max;
  }

  rows.querySelectorAll("[data-attachment-row]").forEach(show);
  box.addEventListener("change", function (event) {
    if (event.target.matches("[data-attachment-type]")) {
      show(event.target.closest("[data-attachment-row]"));
    }
  });
  add.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    if (index >= max) { return; }
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    show(rows.lastElementChild);
    refreshAdd();
  });
  refreshAdd();
})();
