// Site-wide behaviour: tell the user when an htmx request was refused or failed, instead of
// leaving the page silently unchanged.
(function () {
  "use strict";
  document.body.addEventListener("htmx:responseError", function (event) {
    const box = document.getElementById("htmx-error");
    if (!box) return;
    const status = event.detail.xhr.status;
    const key = status === 403 ? "forbidden" : status === 404 ? "missing" : status === 409 ? "conflict" : "failed";
    // The error pages answer htmx with a one-line fragment (templates/errors/_fragment.html) in
    // the page's language: say what it says; anything else gets the page's message for the status.
    const type = event.detail.xhr.getResponseHeader("Content-Type") || "";
    const fragment = type.startsWith("text/html")
      ? new DOMParser().parseFromString(event.detail.xhr.responseText || "", "text/html").querySelector("[data-error-fragment]")
      : null;
    box.querySelector("[data-message]").textContent = fragment ? fragment.textContent.trim() : box.dataset[key] + " (" + status + ")";
    box.classList.add("alert-danger");
    box.classList.remove("d-none");
  });
  document.body.addEventListener("htmx:sendError", function () {
    const box = document.getElementById("htmx-error");
    if (!box) return;
    box.querySelector("[data-message]").textContent = box.dataset.offline;
    box.classList.add("alert-danger");
    box.classList.remove("d-none");
  });
  // An in-page editor's cancel (templates/_editor.html) closes it where it was opened: its slot
  // is emptied, or the dialog holding it hidden. On a page of its own the link simply goes back.
  document.body.addEventListener("click", function (event) {
    const cancel = event.target.closest("[data-editor-cancel]");
    if (!cancel) return;
    const slot = document.getElementById(cancel.dataset.editorCancel);
    if (!slot || !slot.contains(cancel)) return;
    event.preventDefault();
    const dialog = slot.closest(".modal");
    if (dialog) bootstrap.Modal.getOrCreateInstance(dialog).hide();
    else slot.replaceChildren();
  });

  // Small behaviours the templates ask for with data attributes: no inline handlers, so the
  // Content-Security-Policy needs no 'unsafe-inline' for scripts.
  document.body.addEventListener("click", function (event) {
    const target = event.target;
    const hide = target.closest("[data-ka-hide-parent]");
    if (hide) hide.parentElement.classList.add("d-none");
    const remove = target.closest("[data-ka-remove-parent]");
    if (remove) remove.parentElement.remove();
    if (target.closest("[data-ka-print]")) window.print();
    // "Go back" on the error pages: the previous page when there is one, else the link's own.
    if (target.closest("[data-ka-back]") && history.length > 1) {
      event.preventDefault();
      history.back();
    }
    // A drill-down filter's ×: drop the filter and reload the list without it.
    const drop = target.closest("[data-ka-drop-filter]");
    if (drop) {
      event.preventDefault();
      const form = drop.closest("form");
      drop.closest("[data-testid=drill-down]").remove();
      if (form) form.requestSubmit();
    }
    // "Tick all": the box ticks or clears every box its selector names.
    const all = target.closest("[data-ka-tick-all]");
    if (all) {
      for (const box of document.querySelectorAll(all.dataset.kaTickAll)) box.checked = all.checked;
    }
  });
  document.body.addEventListener("change", function (event) {
    const select = event.target.closest("[data-ka-autosubmit]");
    if (select && select.form) select.form.submit();
  });
  // Escape in a search box empties it and its live results.
  document.body.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const box = event.target.closest("[data-ka-escape-clears]");
    if (!box) return;
    box.value = "";
    const results = document.getElementById(box.dataset.kaEscapeClears);
    if (results) results.replaceChildren();
  });
  // Toasts: those the page was rendered with, and those an htmx answer asks for with its
  // HX-Trigger header ({"kaToast": {"message": "…"}}) after a save that keeps the page as it is.
  const toasts = document.getElementById("toasts");
  function showToast(element) {
    bootstrap.Toast.getOrCreateInstance(element, { delay: 6000 }).show();
  }
  if (toasts) {
    for (const element of toasts.querySelectorAll("[data-ka-toast]")) showToast(element);
  }
  document.body.addEventListener("kaToast", function (event) {
    if (!toasts || !event.detail || !event.detail.message) return;
    const element = document.createElement("div");
    element.className = "toast align-items-center text-bg-success border-0";
    element.setAttribute("role", "status");
    element.setAttribute("aria-live", "polite");
    element.setAttribute("aria-atomic", "true");
    element.dataset.kaToast = "";
    const row = document.createElement("div");
    row.className = "d-flex";
    const body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = event.detail.message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white me-2 m-auto";
    close.dataset.bsDismiss = "toast";
    close.setAttribute("aria-label", toasts.dataset.close);
    row.append(body, close);
    element.append(row);
    element.addEventListener("hidden.bs.toast", function () { element.remove(); });
    toasts.append(element);
    showToast(element);
  });
  // Anything longer than a moment — an htmx request, a form sent, a page being left — shows the
  // moving bar at the top, so nobody wonders whether the click was taken.
  const busy = document.getElementById("ka-busy");
  let busyTimer = null;
  let pending = 0;
  function startBusy() {
    if (!busy) return;
    pending += 1;
    if (busyTimer === null) {
      busyTimer = window.setTimeout(function () {
        busy.classList.add("ka-busy-on");
        busy.setAttribute("aria-hidden", "false");
      }, 400);
    }
  }
  function stopBusy() {
    pending = Math.max(0, pending - 1);
    if (pending || !busy) return;
    window.clearTimeout(busyTimer);
    busyTimer = null;
    busy.classList.remove("ka-busy-on");
    busy.setAttribute("aria-hidden", "true");
  }
  document.body.addEventListener("htmx:beforeRequest", startBusy);
  document.body.addEventListener("htmx:afterRequest", stopBusy);
  document.body.addEventListener("submit", function (event) {
    if (!event.defaultPrevented && !event.target.hasAttribute("hx-post") && !event.target.hasAttribute("hx-get")) startBusy();
  });
  window.addEventListener("pageshow", function () { pending = 1; stopBusy(); });
  // A table too wide for its box scrolls inside it: the box takes keyboard focus then, so it can be
  // scrolled without a mouse (and axe's scrollable-region-focusable holds).
  function focusableScrollBoxes(root) {
    for (const box of root.querySelectorAll(".table-responsive")) {
      // Either way: a hidden caption or an icon a pixel too tall also makes the box scroll.
      if (box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight) box.setAttribute("tabindex", "0");
      else if (box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
    }
  }
  focusableScrollBoxes(document);
  document.body.addEventListener("htmx:afterSettle", function () { focusableScrollBoxes(document); });
  let resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { focusableScrollBoxes(document); }, 150);
  });
  // Today: a customer whose last item was just dealt with leaves the list.
  document.body.addEventListener("htmx:afterSettle", function () {
    for (const card of document.querySelectorAll("[data-ka-today-card]")) {
      if (!card.querySelector("li")) card.remove();
    }
  });
  // Filter forms send only the filters that are set, so the address stays short and shareable.
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (!event.target.closest("[data-ka-drop-empty]")) return;
    const parameters = event.detail.parameters;
    for (const name of Object.keys(parameters)) {
      if (parameters[name] === "") delete parameters[name];
    }
  });
})();
