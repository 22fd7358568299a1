// The client form's "when would it be due" preview follows the fields as they change.
// Without this file the preview is rendered with the page and by the "Check and preview" button.
(function () {
  "use strict";

  var form = document.querySelector("form[data-due-preview]");
  if (!form || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var body = form.querySelector("[data-due-preview-body]");
  var aside = body && body.closest(".due-preview");
  var url = form.getAttribute("data-due-preview");
  var timer = null;
  var asked = 0;

  function params() {
    var query = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrf_token" && key !== "fingerprint" && typeof value === "string") {
        query.append(key, value);
      }
    });
    return query.toString();
  }

  function refresh() {
    var mine = ++asked;
    if (aside) { aside.setAttribute("aria-busy", "true"); }
    fetch(url + "?" + params(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (mine === asked && data && typeof data.html === "string") {
          body.innerHTML = data.html; // rendered and escaped by the server's template
        }
      })
      .catch(function () { /* the page keeps the preview it has */ })
      .then(function () {
        if (mine === asked && aside) { aside.removeAttribute("aria-busy"); }
      });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  }

  if (body) {
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }
})();
