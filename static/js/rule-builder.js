// The visual rule builder: nested all / any / not groups of conditions, edited with pickers.
//
// It reads the schema the server renders (a json_script element: fields with their
// operators, choices, units and help; branches in the viewer's scope; tags by name; every
// word it shows) and writes the rule's JSON into the form's hidden field. The server's
// validation stays the one source of truth: its problems come back in the live preview
// (elements with data-problem-path) and are shown on the condition or group they name.
// The JSON stays editable in the "advanced" view; switching back parses it, and JSON that
// does not parse leaves the visual view as it was. No dependencies, no inline script.
(function () {
  "use strict";

  var uid = 0;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key === "text") { node.textContent = value; }
      else if (key === "className") { node.className = value; }
      else { node.setAttribute(key, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function Builder(root) {
    this.root = root;
    this.schema = JSON.parse(document.getElementById(root.dataset.schema).textContent);
    this.text = this.schema.text;
    this.input = document.getElementById(root.dataset.input);
    this.optional = root.hasAttribute("data-optional");
    this.fields = {};
    this.schema.fields.forEach(function (field) { this.fields[field.name] = field; }, this);
    this.visual = root.querySelector("[data-rule-visual]");
    this.advanced = root.querySelector("[data-rule-advanced]");
    this.json = root.querySelector("[data-rule-json]");
    this.jsonError = root.querySelector("[data-rule-json-error]");
    this.mode = "visual";
    this.problems = [];

    var initial = (this.input.value || "").trim();
    var parsed = null;
    try { parsed = initial ? JSON.parse(initial) : null; } catch (error) { parsed = undefined; }
    var tree = parsed === undefined ? null : this.fromJson(parsed);
    if (tree === null) {
      // Not representable (or not JSON): open the advanced view on the text as it is.
      this.tree = this.emptyGroup();
      this.render();
      this.showAdvanced(initial, parsed === undefined ? this.jsonMessage(initial) : this.text.notVisual);
    } else {
      this.tree = tree;
      this.render();
    }
    this.bindViews();
    this.bindProblems();
  }

  // --- The model: groups {kind: "group", mode, negate, children} and conditions --------

  Builder.prototype.emptyGroup = function () {
    return { id: ++uid, kind: "group", mode: "all", negate: false, children: [] };
  };

  Builder.prototype.newCondition = function () {
    return { id: ++uid, kind: "condition", negate: false, field: "", op: "", value: null };
  };

  // JSON → model; null when the JSON is not a shape the builder can show.
  Builder.prototype.fromJson = function (json) {
    if (json === null) { return this.emptyGroup(); }
    var node = this.nodeFromJson(json);
    if (node === null) { return null; }
    if (node.kind === "group" && !node.negate) { return node; }
    var root = this.emptyGroup();
    root.children.push(node);
    return root;
  };

  Builder.prototype.nodeFromJson = function (json) {
    if (!isObject(json)) { return null; }
    var keys = Object.keys(json);
    if (keys.length === 1 && (keys[0] === "all" || keys[0] === "any")) {
      if (!Array.isArray(json[keys[0]])) { return null; }
      var group = this.emptyGroup();
      group.mode = keys[0];
      for (var index = 0; index < json[keys[0]].length; index++) {
        var child = this.nodeFromJson(json[keys[0]][index]);
        if (child === null) { return null; }
        group.children.push(child);
      }
      return group;
    }
    if (keys.length === 1 && keys[0] === "not") {
      var inner = this.nodeFromJson(json.not);
      if (inner === null) { return null; }
      if (!inner.negate) { inner.negate = true; return inner; }
      var wrapper = this.emptyGroup();
      wrapper.negate = true;
      wrapper.children.push(inner);
      return wrapper;
    }
    if (keys.indexOf("field") === -1 || keys.some(function (key) { return ["field", "op", "value"].indexOf(key) === -1; })) {
      return null;
    }
    if (typeof json.field !== "string" || (json.op !== undefined && typeof json.op !== "string")) { return null; }
    var condition = this.newCondition();
    condition.field = json.field;
    condition.op = json.op || "";
    condition.value = json.value === undefined ? null : json.value;
    return condition;
  };

  // Model → JSON, recording on each node the path of its JSON (to place the server's problems).
  Builder.prototype.toJson = function (node, path) {
    node.path = path;
    var bodyPath = node.negate ? join(path, "not") : path;
    node.bodyPath = bodyPath;
    var body;
    if (node.kind === "group") {
      var self = this;
      body = {};
      body[node.mode] = node.children.map(function (child, index) {
        return self.toJson(child, join(bodyPath, node.mode) + "[" + index + "]");
      });
    } else {
      body = { field: node.field, op: node.op, value: node.value };
    }
    return node.negate ? { not: body } : body;
  };

  function join(path, key) { return path ? path + "." + key : key; }

  Builder.prototype.ruleJson = function () {
    var tree = this.tree;
    if (tree.children.length === 0 && !tree.negate) {
      tree.path = tree.bodyPath = "";
      return this.optional ? null : { all: [] };
    }
    if (tree.children.length === 1 && !tree.negate) {
      // One condition (or group) needs no group around it.
      tree.path = tree.bodyPath = "";
      return this.toJson(tree.children[0], "");
    }
    return this.toJson(tree, "");
  };

  Builder.prototype.write = function () {
    var json = this.ruleJson();
    this.input.value = json === null ? "" : JSON.stringify(json);
    this.changed();
  };

  Builder.prototype.changed = function () {
    document.body.dispatchEvent(new CustomEvent("rule-changed", { bubbles: true }));
  };

  // --- Rendering -----------------------------------------------------------------------

  Builder.prototype.render = function () {
    var focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focusKey : null;
    this.ruleJson(); // refresh the paths
    this.visual.replaceChildren(this.renderGroup(this.tree, true));
    this.showProblems();
    if (focused) {
      var again = this.visual.querySelector('[data-focus-key="' + focused + '"]');
      if (again) { again.focus(); }
    }
  };

  Builder.prototype.renderGroup = function (group, isRoot) {
    var self = this;
    var text = this.text;
    var modeName = "rule-mode-" + group.id;
    var modes = el("div", { className: "btn-group btn-group-sm", role: "group" }, ["all", "any"].map(function (mode) {
      var id = modeName + "-" + mode;
      var radio = el("input", { type: "radio", className: "btn-check", name: modeName, id: id, value: mode,
        checked: group.mode === mode, "data-focus-key": id });
      radio.addEventListener("change", function () { group.mode = mode; self.write(); self.render(); });
      return el("span", {}, [radio, el("label", { className: "btn btn-outline-secondary", for: id, text: text[mode] })]);
    }));
    var negateId = "rule-negate-" + group.id;
    var negate = el("input", { type: "checkbox", className: "form-check-input", id: negateId, checked: group.negate,
      "data-rule-negate": true, "data-focus-key": negateId });
    negate.addEventListener("change", function () { group.negate = negate.checked; self.write(); self.render(); });
    var addCondition = el("button", { type: "button", className: "btn btn-sm btn-outline-primary", text: "＋ " + text.addCondition,
      "data-rule-add-condition": true });
    addCondition.addEventListener("click", function () {
      group.children.push(self.newCondition()); self.write(); self.render();
    });
    var addGroup = el("button", { type: "button", className: "btn btn-sm btn-outline-primary", text: "＋ " + text.addGroup,
      "data-rule-add-group": true });
    addGroup.addEventListener("click", function () {
      var child = self.emptyGroup();
      child.children.push(self.newCondition());
      group.children.push(child); self.write(); self.render();
    });
    var tools = [
      el("div", { className: "form-check form-check-inline m-0", title: text.negateHelp }, [
        negate, el("label", { className: "form-check-label", for: negateId, text: text.negate })]),
      modes, addCondition, addGroup
    ];
    if (!isRoot) {
      var remove = el("button", { type: "button", className: "btn btn-sm btn-outline-danger ms-auto", text: text.removeGroup,
        "data-rule-remove": true });
      remove.addEventListener("click", function () { self.removeNode(group); });
      tools.push(remove);
    }
    var header = el("div", { className: "d-flex flex-wrap align-items-center gap-2 mb-2" }, tools);
    var body = el("div", { className: "d-flex flex-column gap-2" });
    if (group.children.length === 0) {
      body.appendChild(el("p", { className: "text-body-secondary small mb-0", text: text.empty }));
    }
    group.children.forEach(function (child) {
      body.appendChild(child.kind === "group" ? self.renderGroup(child, false) : self.renderCondition(child));
    });
    var box = el("div", { className: "scrm-rule-group border rounded p-2" + (group.negate ? " scrm-rule-negated" : ""),
      "data-rule-node": group.id, "data-rule-group": group.mode }, [header, body,
      el("div", { className: "invalid-feedback", "data-rule-node-problems": true })]);
    return box;
  };

  Builder.prototype.removeNode = function (node) {
    var removeFrom = function (group) {
      var index = group.children.indexOf(node);
      if (index >= 0) { group.children.splice(index, 1); return true; }
      return group.children.some(function (child) { return child.kind === "group" && removeFrom(child); });
    };
    removeFrom(this.tree);
    this.write();
    this.render();
  };

  Builder.prototype.renderCondition = function (condition) {
    var self = this;
    var text = this.text;
    var field = this.fields[condition.field];
    var key = "rule-" + condition.id;

    var fieldSelect = el("select", { className: "form-select form-select-sm", "aria-label": text.chooseField,
      "data-rule-field": true, "data-focus-key": key + "-field" },
      [el("option", { value: "", text: text.chooseField, selected: !field })].concat(this.schema.fields.map(function (each) {
        return el("option", { value: each.name, text: each.label, selected: each.name === condition.field });
      })));
    fieldSelect.addEventListener("change", function () {
      condition.field = fieldSelect.value;
      var chosen = self.fields[condition.field];
      condition.op = chosen ? chosen.ops[0].value : "";
      condition.value = chosen ? self.defaultValue(chosen, condition.op) : null;
      self.write(); self.render();
    });

    var parts = [el("div", { className: "scrm-rule-field" }, [fieldSelect])];
    if (field) {
      var opSelect = el("select", { className: "form-select form-select-sm", "data-rule-op": true,
        "data-focus-key": key + "-op" }, field.ops.map(function (op) {
        return el("option", { value: op.value, text: op.label, selected: op.value === condition.op });
      }));
      if (field.ops.every(function (op) { return op.value !== condition.op; })) {
        opSelect.insertBefore(el("option", { value: "", text: text.choose, selected: true }), opSelect.firstChild);
      }
      opSelect.addEventListener("change", function () {
        condition.value = self.convertValue(field, condition.op, opSelect.value, condition.value);
        condition.op = opSelect.value;
        self.write(); self.render();
      });
      parts.push(el("div", { className: "scrm-rule-op" }, [opSelect]));
      parts.push(el("div", { className: "scrm-rule-value flex-grow-1" }, [this.renderValue(condition, field, key)]));
    }
    var negateId = key + "-negate";
    var negate = el("input", { type: "checkbox", className: "form-check-input", id: negateId, checked: condition.negate,
      "data-rule-negate": true, "data-focus-key": negateId });
    negate.addEventListener("change", function () { condition.negate = negate.checked; self.write(); self.render(); });
    var remove = el("button", { type: "button", className: "btn btn-sm btn-outline-danger", text: "×",
      "aria-label": text.remove, title: text.remove, "data-rule-remove": true });
    remove.addEventListener("click", function () { self.removeNode(condition); });
    parts.push(el("div", { className: "d-flex align-items-center gap-2 ms-auto text-nowrap" }, [
      el("div", { className: "form-check m-0", title: text.negateHelp }, [
        negate, el("label", { className: "form-check-label", for: negateId, text: text.negate })]),
      remove]));

    var row = el("div", { className: "d-flex flex-wrap align-items-start gap-2" }, parts);
    return el("div", { className: "scrm-rule-condition border rounded p-2" + (condition.negate ? " scrm-rule-negated" : ""),
      "data-rule-node": condition.id, "data-rule-condition": condition.field }, [
      row,
      field ? el("div", { className: "form-text mt-1", text: field.help }) : null,
      el("div", { className: "invalid-feedback", "data-rule-node-problems": true })
    ]);
  };

  Builder.prototype.defaultValue = function (field, op) {
    if (op === "between") { return [null, null]; }
    if (op === "in" || op === "not_in") { return []; }
    if (field.type === "boolean") { return true; }
    if (field.type === "choice") { return field.choices.length ? field.choices[0].value : ""; }
    if (field.type === "branch") { return this.schema.branches.length ? this.schema.branches[0].value : ""; }
    if (field.type === "tag") {
      var first = this.schema.tags.length && this.schema.tags[0].options[0];
      return first ? first.value : "";
    }
    return null;
  };

  // Keep what was entered when the operator changes shape (one value, a range, a list).
  Builder.prototype.convertValue = function (field, fromOp, toOp, value) {
    var shape = function (op) { return op === "between" ? "range" : (op === "in" || op === "not_in") ? "list" : "one"; };
    var from = shape(fromOp), to = shape(toOp);
    if (from === to) { return value; }
    var single = Array.isArray(value) ? (value.length ? value[0] : null) : value;
    if (to === "range") { return [single, null]; }
    if (to === "list") { return single === null || single === undefined || single === "" ? [] : [single]; }
    return single === null || single === undefined ? this.defaultValue(field, toOp) : single;
  };

  function numberFrom(raw, whole) {
    var trimmed = raw.trim();
    if (trimmed === "") { return null; }
    if (whole ? /^-?\d+$/.test(trimmed) : /^-?\d+(\.\d+)?$/.test(trimmed)) {
      var number = Number(trimmed);
      if (Number.isSafeInteger(number) || (!whole && trimmed.replace(/[-.]/g, "").length <= 15)) { return number; }
    }
    return trimmed; // the server says what is wrong with it
  }

  Builder.prototype.numberInput = function (field, value, key, onValue) {
    var self = this;
    var whole = field.type !== "decimal";
    var input = el("input", { type: "text", inputmode: whole ? "numeric" : "decimal", className: "form-control form-control-sm",
      value: value === null || value === undefined ? "" : String(value), "data-rule-value": true, "data-focus-key": key,
      "aria-label": field.label });
    input.addEventListener("input", function () { onValue(numberFrom(input.value, whole)); self.write(); });
    var group = el("div", { className: "input-group input-group-sm" }, [input]);
    if (field.unit) { group.appendChild(el("span", { className: "input-group-text", text: field.unit })); }
    return group;
  };

  Builder.prototype.selectInput = function (options, value, key, label, onValue, parse) {
    var self = this;
    var known = false;
    var select = el("select", { className: "form-select form-select-sm", "data-rule-value": true, "data-focus-key": key,
      "aria-label": label });
    options.forEach(function (option) {
      if (option.options) {
        var group = el("optgroup", { label: option.group });
        option.options.forEach(function (inner) {
          known = known || inner.value === value;
          group.appendChild(el("option", { value: inner.value, text: inner.label, selected: inner.value === value }));
        });
        select.appendChild(group);
      } else {
        known = known || option.value === value;
        select.appendChild(el("option", { value: option.value, text: option.label, selected: option.value === value }));
      }
    });
    if (!known) { select.insertBefore(el("option", { value: "", text: this.text.choose, selected: true }), select.firstChild); }
    select.addEventListener("change", function () { onValue(parse ? parse(select.value) : select.value); self.write(); });
    return select;
  };

  Builder.prototype.checkList = function (choices, values, key, onValue) {
    var self = this;
    var chosen = Array.isArray(values) ? values.slice() : [];
    return el("div", { className: "d-flex flex-wrap gap-2 pt-1", "data-rule-value": true }, choices.map(function (choice) {
      var id = key + "-" + choice.value;
      var box = el("input", { type: "checkbox", className: "form-check-input", id: id, value: choice.value,
        checked: chosen.indexOf(choice.value) >= 0, "data-focus-key": id });
      box.addEventListener("change", function () {
        chosen = chosen.filter(function (value) { return value !== choice.value; });
        if (box.checked) { chosen.push(choice.value); }
        onValue(chosen.slice()); self.write();
      });
      return el("div", { className: "form-check form-check-inline m-0" }, [box,
        el("label", { className: "form-check-label", for: id, text: choice.label })]);
    }));
  };

  Builder.prototype.renderValue = function (condition, field, key) {
    var self = this;
    var text = this.text;
    var set = function (value) { condition.value = value; };
    var op = condition.op;
    if (field.type === "decimal" || field.type === "integer" || field.type === "maturity") {
      if (op === "between") {
        var range = Array.isArray(condition.value) ? condition.value.slice(0, 2) : [null, null];
        while (range.length < 2) { range.push(null); }
        condition.value = range;
        return el("div", { className: "d-flex align-items-center gap-1" }, [
          this.numberInput(field, range[0], key + "-low", function (value) { range[0] = value; }),
          el("span", { className: "small", text: text.and }),
          this.numberInput(field, range[1], key + "-high", function (value) { range[1] = value; })
        ]);
      }
      return this.numberInput(field, condition.value, key + "-value", set);
    }
    if (field.type === "date") {
      var dateInput = function (value, inputKey, onValue) {
        var input = el("input", { type: "date", className: "form-control form-control-sm", "data-rule-value": true,
          "data-focus-key": inputKey, "aria-label": field.label, value: typeof value === "string" ? value : "" });
        input.addEventListener("input", function () { onValue(input.value || null); self.write(); });
        return input;
      };
      if (op === "between") {
        var days = Array.isArray(condition.value) ? condition.value.slice(0, 2) : [null, null];
        while (days.length < 2) { days.push(null); }
        condition.value = days;
        return el("div", { className: "d-flex align-items-center gap-1" }, [
          dateInput(days[0], key + "-from", function (value) { days[0] = value; }),
          el("span", { className: "small", text: text.and }),
          dateInput(days[1], key + "-to", function (value) { days[1] = value; })
        ]);
      }
      return dateInput(condition.value, key + "-value", set);
    }
    if (field.type === "choice" || field.type === "product_type") {
      var choices = field.choices;
      if (op === "in" || op === "not_in") { return this.checkList(choices, condition.value, key + "-values", set); }
      return this.selectInput(choices, condition.value, key + "-value", field.label, set);
    }
    if (field.type === "boolean") {
      return this.selectInput([{ value: "true", label: text.yes }, { value: "false", label: text.no }],
        condition.value === true ? "true" : condition.value === false ? "false" : null, key + "-value", field.label,
        set, function (value) { return value === "true"; });
    }
    if (field.type === "branch") {
      var branches = this.schema.branches.map(function (branch) {
        return { value: branch.value, label: "\u3000".repeat(branch.depth) + branch.label };
      });
      return this.selectInput(branches, condition.value, key + "-value", field.label, set);
    }
    if (field.type === "tag") {
      return this.selectInput(this.schema.tags, condition.value, key + "-value", field.label, set);
    }
    return el("span");
  };

  // --- Problems from the server --------------------------------------------------------

  Builder.prototype.bindProblems = function () {
    var self = this;
    var read = function (container) {
      var list = container.querySelectorAll("[data-problem-path]");
      self.problems = Array.prototype.map.call(list, function (item) {
        var message = item.querySelector("[data-problem-message]");
        return { path: item.getAttribute("data-problem-path"), message: (message || item).textContent };
      });
      self.showProblems();
    };
    var preview = document.querySelector("[data-rule-preview]");
    if (preview) {
      read(preview);
      document.body.addEventListener("htmx:afterSwap", function (event) {
        if (event.detail.target !== preview) { return; }
        // A fresh answer replaces every earlier banner about the rule.
        document.querySelectorAll("[data-rule-banner]").forEach(function (banner) { banner.remove(); });
        read(preview);
      });
    }
  };

  Builder.prototype.nodes = function () {
    var all = [];
    var walk = function (node) { all.push(node); (node.children || []).forEach(walk); };
    walk(this.tree);
    return all;
  };

  function within(path, prefix) {
    if (prefix === "") { return true; }
    return path === prefix || path.indexOf(prefix + ".") === 0 || path.indexOf(prefix + "[") === 0;
  }

  Builder.prototype.showProblems = function () {
    var self = this;
    this.visual.querySelectorAll(".scrm-rule-problem").forEach(function (node) { node.classList.remove("scrm-rule-problem"); });
    this.visual.querySelectorAll("[data-rule-node-problems]").forEach(function (box) {
      box.replaceChildren(); box.classList.remove("d-block");
    });
    this.visual.querySelectorAll(".is-invalid").forEach(function (input) { input.classList.remove("is-invalid"); });
    var nodes = this.nodes();
    this.problems.forEach(function (problem) {
      var path = problem.path === "rule" ? "" : problem.path;
      var best = null;
      nodes.forEach(function (node) {
        var prefix = node.path === undefined ? null : node.path;
        if (prefix !== null && within(path, prefix) && (best === null || prefix.length >= best.path.length)) { best = node; }
      });
      if (best === null) { return; }
      var box = self.visual.querySelector('[data-rule-node="' + best.id + '"]');
      if (!box) { return; }
      box.classList.add("scrm-rule-problem");
      var messages = box.querySelector(":scope > [data-rule-node-problems]");
      messages.appendChild(el("div", { text: problem.message, "data-problem-at": problem.path }));
      messages.classList.add("d-block");
      var rest = path.slice(best.bodyPath.length).replace(/^\./, "");
      var part = rest.split(/[.[]/)[0];
      var selector = { field: "select[data-rule-field]", op: "select[data-rule-op]",
        value: "input[data-rule-value], select[data-rule-value]" }[part];
      if (selector) {
        var inputs = box.querySelector(":scope > div").querySelectorAll(selector);
        var index = part === "value" ? /^value\[(\d+)\]/.exec(rest) : null;
        var marked = index && inputs.length > 1 && inputs[Number(index[1])] ? [inputs[Number(index[1])]] : inputs;
        Array.prototype.forEach.call(marked, function (input) { input.classList.add("is-invalid"); });
      }
    });
  };

  // --- The advanced (JSON) view --------------------------------------------------------

  Builder.prototype.bindViews = function () {
    var self = this;
    this.root.querySelectorAll("[data-rule-view]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (button.dataset.ruleView === "advanced" && self.mode === "visual") {
          var json = self.ruleJson();
          self.showAdvanced(json === null ? "" : JSON.stringify(json, null, 2), "");
        } else if (button.dataset.ruleView === "visual" && self.mode === "advanced") {
          self.backToVisual();
        }
      });
    });
    this.json.addEventListener("input", function () {
      self.input.value = self.json.value;
      self.jsonError.textContent = "";
      self.json.classList.remove("is-invalid");
      self.changed();
    });
  };

  Builder.prototype.setMode = function (mode) {
    this.mode = mode;
    this.visual.hidden = mode !== "visual";
    this.advanced.hidden = mode !== "advanced";
    this.root.querySelectorAll("[data-rule-view]").forEach(function (button) {
      var active = button.dataset.ruleView === mode;
      button.classList.toggle("active", active);
      button.setAttribute("aria-pressed", active ? "true" : "false");
    });
  };

  Builder.prototype.showAdvanced = function (text, message) {
    this.json.value = text;
    this.jsonError.textContent = message || "";
    this.json.classList.toggle("is-invalid", !!message);
    this.setMode("advanced");
  };

  Builder.prototype.jsonMessage = function (text) {
    try { JSON.parse(text); return ""; } catch (error) {
      var match = /position (\d+)/.exec(String(error.message));
      if (!match) { return this.text.invalidJsonNoPosition; }
      var before = text.slice(0, Number(match[1])).split("\n");
      return this.text.invalidJson.replace("%(line)s", before.length).replace("%(column)s", before[before.length - 1].length + 1);
    }
  };

  Builder.prototype.backToVisual = function () {
    var text = this.json.value.trim();
    var parsed;
    if (text === "") { parsed = null; } else {
      try { parsed = JSON.parse(text); } catch (error) {
        this.jsonError.textContent = this.jsonMessage(text);
        this.json.classList.add("is-invalid");
        return; // the visual view stays as it was
      }
    }
    var tree = this.fromJson(parsed);
    if (tree === null) {
      this.jsonError.textContent = this.text.notVisual;
      this.json.classList.add("is-invalid");
      return;
    }
    this.tree = tree;
    this.setMode("visual");
    this.render();
    this.write();
  };

  document.querySelectorAll("[data-rule-builder]").forEach(function (root) { root.ruleBuilder = new Builder(root); });
})();
