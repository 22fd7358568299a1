// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  function submit(form) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  // Filter forms apply as soon as a select changes (the Apply button stays for everyone else).
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      if (event.target.tagName === "SELECT") {
        submit(form);
      }
    });
  });

  // Ctrl+Enter (Cmd+Enter on a Mac) sends the form a message box belongs to.
  document.querySelectorAll("textarea[data-submit-shortcut]").forEach(function (box) {
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && box.form) {
        event.preventDefault();
        submit(box.form);
      }
    });
  });

  // A secret shown once (a new intake token) is selected whole when focused, ready to copy.
  document.querySelectorAll("input[data-select-on-focus]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
    if (document.activeElement === field) { field.select(); }
  });

  // A form that does something hard to undo (deactivating a person) asks first.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  // One click, one submission: disable the button that sent a form until the page changes.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // A form sent another way (the live composer, over the socket) stays usable.
    if (event.defaultPrevented || form.method.toLowerCase() !== "post") {
      return;
    }
    // Disabled after the browser has read the form, so the clicked button's value is sent.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.disabled = true;
      });
    }, 0);
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[type=submit][disabled]").forEach(function (b) {
      b.disabled = false;
    });
  });

  // Agents: make an internal note look different from a public reply before it is sent.
  document.querySelectorAll("input[data-internal-toggle]").forEach(function (box) {
    var card = box.closest("[data-reply]");
    var button = box.form && box.form.querySelector("button[data-label-public]");
    function sync() {
      if (card) {
        card.classList.toggle("is-internal", box.checked);
      }
      if (button) {
        button.textContent = box.checked
          ? button.getAttribute("data-label-internal")
          : button.getAttribute("data-label-public");
      }
    }
    box.addEventListener("change", sync);
    sync();
  });

  // Print buttons exist only where scripts run; printing from the browser menu works anyway.
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
