// The Console's little script: account menu, dialogs, confirmations, key creation, rotation
// and copy.
// Every page works without it except the one-time key display, which then falls back to a
// server-rendered page.
"use strict";

function setUpAccountMenu() {
  const button = document.getElementById("account-button");
  const menu = document.getElementById("account-menu");
  if (!button || !menu) return;
  const close = () => {
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
  };
  button.addEventListener("click", () => {
    const opening = menu.hidden;
    menu.hidden = !opening;
    button.setAttribute("aria-expanded", String(opening));
    if (opening) menu.querySelector("a, button")?.focus();
  });
  document.addEventListener("click", (event) => {
    if (!menu.hidden && !menu.contains(event.target) && !button.contains(event.target)) close();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !menu.hidden) {
      close();
      button.focus();
    }
  });
}

function setUpDialogs() {
  document.querySelectorAll("[data-open-dialog]").forEach((opener) => {
    opener.addEventListener("click", () => {
      const dialog = document.getElementById(opener.dataset.openDialog);
      dialog.showModal();
      dialog.querySelector("input:not([type=hidden]), [autofocus]")?.focus();
    });
  });
  document.querySelectorAll("[data-close-dialog]").forEach((closer) => {
    closer.addEventListener("click", () => closer.closest("dialog").close());
  });
  const reopen = document.querySelector("[data-open-on-load]");
  if (reopen) document.getElementById(reopen.dataset.openOnLoad).showModal();
}

// Forms marked data-confirm="x" submit only after the #confirm-x-dialog is accepted.
function confirmBeforeSubmit(form) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.confirmed === "yes") return;
    event.preventDefault();
    const dialog = document.getElementById(`confirm-${form.dataset.confirm}-dialog`);
    dialog.querySelector("[data-subject]").textContent = form.dataset.subject;
    const yes = dialog.querySelector("[data-confirm-yes]");
    const onYes = () => {
      yes.disabled = true;
      form.dataset.confirmed = "yes";
      form.submit();
    };
    yes.addEventListener("click", onYes, { once: true });
    dialog.addEventListener("close", () => yes.removeEventListener("click", onYes), { once: true });
    dialog.showModal();
  });
}

function addKeyRow(created) {
  const template = document.getElementById("key-row-template");
  const row = template.content.firstElementChild.cloneNode(true);
  row.dataset.keyId = created.id;
  row.querySelector(".cell-name").textContent = created.name;
  row.querySelector("code").textContent = created.hint;
  row.querySelector(".access").textContent = created.access || "Full access";
  if (created.project_id) {
    row.querySelector(".project").textContent = created.project_id;
    row.querySelector(".project").parentElement.hidden = false;
  }
  row.querySelector(".expiry").textContent = created.expiry || "Never";
  row.querySelector("time").textContent = created.created_at;
  row.querySelector("td[data-label=Created] .by").textContent = `by ${created.created_by}`;
  const form = row.querySelector("form");
  form.action = `/settings/api-keys/${created.id}/revoke`;
  form.dataset.subject = created.name;
  confirmBeforeSubmit(form);
  const rotate = row.querySelector("[data-rotate]");
  rotate.dataset.rotate = `/settings/api-keys/${created.id}/rotate`;
  rotate.dataset.subject = created.name;
  rotate.addEventListener("click", () => openRotateDialog(rotate));
  document.querySelector("#keys-table tbody").prepend(row);
  document.getElementById("keys-table-wrap").hidden = false;
  for (const id of ["keys-empty", "keys-none-match"]) {
    const empty = document.getElementById(id);
    if (empty) empty.hidden = true;
  }
}

function showNewKey(created, note) {
  document.getElementById("new-key-name").textContent = created.name;
  document.getElementById("new-key-value").value = created.key;
  const noteLine = document.getElementById("new-key-note");
  noteLine.textContent = note || "";
  noteLine.hidden = !note;
  const panel = document.getElementById("new-key");
  panel.hidden = false;
  document.getElementById("copy-key").focus();
}

// The fields of a form whose errors the server names: data-field="<name>" holds the control
// and its .field-error line.
function fieldErrors(form) {
  const clear = () => {
    form.querySelectorAll(".field-error").forEach((line) => {
      line.hidden = true;
      line.textContent = "";
    });
    form.querySelectorAll("[aria-invalid]").forEach((control) => control.removeAttribute("aria-invalid"));
    form.querySelectorAll(".has-error").forEach((field) => field.classList.remove("has-error"));
  };
  const show = (fieldName, message) => {
    const field = form.querySelector(`[data-field="${fieldName}"]`) || form.querySelector("[data-field]");
    const holder = field.closest(".field:not(.sub-field)") || field;
    const line = field.querySelector(".field-error") || holder.querySelector(".field-error");
    line.textContent = message;
    line.hidden = false;
    holder.classList.add("has-error");
    const control = field.querySelector("input:not([type=hidden]), select");
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.focus();
    }
  };
  return { clear, show };
}

// Sub-fields shown only once their choice is made (without script, every one is shown).
function revealChoices(form) {
  const expiration = form.querySelector("#key-expiration");
  const expiresOn = form.querySelector("#expires-on-field");
  const scopes = form.querySelector("#scopes-field");
  const update = () => {
    if (expiration && expiresOn) expiresOn.hidden = expiration.value !== "custom";
    const access = form.querySelector("input[name=access]:checked");
    if (scopes) scopes.hidden = !access || access.value !== "custom";
  };
  form.addEventListener("change", update);
  form.addEventListener("reset", () => setTimeout(update));
  update();
}

// Where the create form's fields sit, by the name the server gives a refused field.
const FIELD_OF = { key_name: "key_name", expiration: "expiration", expires_on: "expires_on",
  access: "access", scopes: "access", project_id: "project_id" };

function setUpKeyCreation() {
  const form = document.getElementById("create-key-form");
  if (!form) return;
  const input = document.getElementById("key-name");
  const errors = fieldErrors(form);
  revealChoices(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    if (!input.value.trim()) {
      errors.show("key_name", "Enter a name for the API key.");
      return;
    }
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        errors.show(
          FIELD_OF[body.field] || "key_name",
          body.message || "The key could not be created. Reload the page and try again.",
        );
        return;
      }
      form.closest("dialog").close();
      form.reset();
      addKeyRow(body);
      showNewKey(body);
    } catch {
      errors.show("key_name", "The Console could not reach the server. Check your connection and try again.");
    } finally {
      submit.disabled = false;
    }
  });
}

function openRotateDialog(button) {
  const dialog = document.getElementById("rotate-key-dialog");
  const form = document.getElementById("rotate-key-form");
  form.action = button.dataset.rotate;
  form.dataset.keyId = button.closest("tr").dataset.keyId;
  dialog.querySelector("[data-subject]").textContent = button.dataset.subject;
  fieldErrors(form).clear();
  dialog.showModal();
  form.querySelector("input[name=overlap]:checked")?.focus();
}

function setUpKeyRotation() {
  const form = document.getElementById("rotate-key-form");
  if (!form) return;
  document.querySelectorAll("button[data-rotate]").forEach((button) => {
    button.addEventListener("click", () => openRotateDialog(button));
  });
  const errors = fieldErrors(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        errors.show("overlap", body.message || "The key could not be rotated. Reload the page and try again.");
        return;
      }
      form.closest("dialog").close();
      const old = document.querySelector(`#keys-table tr[data-key-id="${form.dataset.keyId}"]`);
      if (old && body.old_key_expiry === "Revoked") {
        old.remove();
      } else if (old) {
        old.querySelector(".cell-expiry").textContent = body.old_key_expiry;
        const replaced = document.createElement("span");
        replaced.className = "by";
        replaced.textContent = "Rotated: replaced by a new key";
        old.querySelector(".cell-expiry").append(replaced);
        old.querySelector("[data-rotate]")?.remove();
      }
      addKeyRow(body);
      showNewKey(body, body.old_key_note);
    } catch {
      errors.show("overlap", "The Console could not reach the server. Check your connection and try again.");
    } finally {
      submit.disabled = false;
    }
  });
}

function setUpFilters() {
  document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
}

function setUpCopyButtons() {
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copyTarget);
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        field.select();
        document.execCommand("copy");
      }
      button.textContent = "Copied";
      setTimeout(() => (button.textContent = "Copy"), 2000);
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpAccountMenu();
  setUpDialogs();
  document.querySelectorAll("form[data-confirm]").forEach(confirmBeforeSubmit);
  setUpKeyCreation();
  setUpKeyRotation();
  setUpFilters();
  setUpCopyButtons();
});
