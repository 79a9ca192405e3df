// Building elements without a framework, and the form conventions every view shares: a field is a
// label + control + error line, and an API error is shown at the field it names.

/**
 * `h("button", {type: "button", onclick}, "Save")`. Props starting with "on" become listeners,
 * `dataset` and `aria` objects fill data-/aria- attributes, the rest become attributes (true → "",
 * false/null → absent). Children: nodes, strings (always text, never parsed as HTML), arrays, null.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "value") el.value = value;
    else if (key === "checked") el.checked = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let uid = 0;
/** A page-unique id for label/control/description links. */
export const nextId = (prefix) => `${prefix}-${++uid}`;

/**
 * A labelled control with its error line: `field("title", "Title", input)`. The control gets an id
 * and `aria-describedby` pointing at the hint and error; `data-field` ties it to API field names.
 */
export function field(name, label, control, { hint, className = "field" } = {}) {
  const id = control.id || (control.id = nextId(name.replace(/\W/g, "-")));
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  control.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
  return h(
    "div",
    { class: className, dataset: { field: name } },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    control,
    h("p", { class: "field-error", id: errorId, hidden: true }),
  );
}

/** A group of controls (checkboxes, radios, several inputs) with a legend and one error line. */
export function fieldset(name, legend, children, { className = "group" } = {}) {
  const errorId = nextId(`${name}-error`);
  return h(
    "fieldset",
    { class: className, dataset: { field: name }, "aria-describedby": errorId },
    h("legend", {}, legend),
    children,
    h("p", { class: "field-error", id: errorId, hidden: true }),
  );
}

/** Hides every error in the form and clears `aria-invalid`. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll(".field-error, .form-error")) {
    el.textContent = "";
    el.hidden = true;
  }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

/**
 * Shows `error` at the field it names (the longest `data-field` that is the API's field or a
 * prefix of it: "reminders.0.at" lands on "reminders"), else in the form's general error box.
 * Moves focus to it, so keyboard and screen-reader users land on the problem.
 */
export function showError(form, error) {
  clearErrors(form);
  const name = error && error.field;
  const candidates = name ? [...form.querySelectorAll("[data-field]")].filter((el) => name === el.dataset.field || name.startsWith(`${el.dataset.field}.`)) : [];
  const target = candidates.sort((a, b) => b.dataset.field.length - a.dataset.field.length)[0];
  const message = error && error.message ? friendly(error.message, target ? target.dataset.field : null) : "Something went wrong.";
  if (target) {
    const line = target.querySelector(":scope > .field-error");
    line.textContent = message;
    line.hidden = false;
    const control = target.matches("fieldset") ? target : target.querySelector("input, select, textarea");
    if (control && !control.matches("fieldset")) control.setAttribute("aria-invalid", "true");
    const focusable = target.matches("fieldset") ? target.querySelector("input, select, textarea, button") : control;
    if (focusable) focusable.focus();
    return;
  }
  const box = form.querySelector(".form-error");
  box.textContent = message;
  box.hidden = false;
  box.focus();
}

/** "title: title must not be empty" → "Title must not be empty" once it sits next to the title. */
function friendly(message, fieldName) {
  const text = fieldName ? message.replace(/^[\w.]+: /, "") : message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The general error box of a form (role=alert, focusable). */
export const formError = () => h("p", { class: "form-error", role: "alert", tabindex: "-1", hidden: true });

/** Says `message` to screen readers (and shows nothing). */
export function announce(message) {
  const region = document.getElementById("announcer");
  region.textContent = "";
  // A change after the clear is what makes screen readers speak a repeated message again.
  setTimeout(() => (region.textContent = message), 50);
}
