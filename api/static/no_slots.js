/* The "no slots" page: tracking calls, the waitlist form and its success state.
   Tracking properties never carry what the visitor typed. */
(function () {
  "use strict";
  var root = document.getElementById("no-slots");
  if (!root) { return; }
  var slug = root.getAttribute("data-service-slug");
  var form = document.getElementById("waitlist-form");
  var errorBox = document.getElementById("form-error");
  var success = document.getElementById("waitlist-success");
  var contact = document.getElementById("contact-value");
  var contactLabel = document.getElementById("contact-label");
  var contactHelp = document.getElementById("contact-help");
  var submit = document.getElementById("submit-button");
  var opened = false;

  var METHODS = {
    email: { label: "Электронная почта", type: "email", inputmode: "email",
             autocomplete: "email", help: "Например, name@example.ru" },
    phone: { label: "Телефон", type: "tel", inputmode: "tel", autocomplete: "tel",
             help: "Например, +7 999 123-45-67" },
    telegram: { label: "Имя пользователя в Telegram", type: "text", inputmode: "text",
                autocomplete: "off", help: "Например, @username" }
  };
  var MESSAGES = {
    consent_required: "Отметьте оба согласия: без них мы не можем добавить вас в лист ожидания.",
    invalid_contact: {
      email: "Проверьте адрес электронной почты.",
      phone: "Проверьте номер телефона: нужен российский номер, например +7 999 123-45-67.",
      telegram: "Проверьте имя пользователя Telegram: 5–32 латинские буквы, цифры или _."
    },
    rate_limited: "Слишком много попыток. Попробуйте через минуту.",
    service_not_found: "Эта услуга больше не доступна для записи.",
    network_error: "Нет связи с сервером. Проверьте интернет и попробуйте ещё раз.",
    server_error: "Не получилось отправить заявку. Попробуйте ещё раз чуть позже."
  };

  function track(name, properties) {
    try {
      return fetch("/api/public/events", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: name, properties: properties }),
        keepalive: true,
        credentials: "same-origin"
      }).catch(function () { return null; });
    } catch (e) {
      return Promise.resolve(null);
    }
  }

  function selectedMethod() {
    var checked = form.querySelector("input[name='preferred_contact_method']:checked");
    return checked ? checked.value : "email";
  }

  function applyMethod(method) {
    var spec = METHODS[method] || METHODS.email;
    contactLabel.textContent = spec.label;
    contact.setAttribute("type", spec.type);
    contact.setAttribute("inputmode", spec.inputmode);
    contact.setAttribute("autocomplete", spec.autocomplete);
    contactHelp.textContent = spec.help;
  }

  function showError(code) {
    var message = MESSAGES[code];
    if (code === "invalid_contact") { message = MESSAGES.invalid_contact[selectedMethod()]; }
    errorBox.textContent = message || MESSAGES.server_error;
    errorBox.hidden = false;
    var known = ["consent_required", "invalid_contact", "rate_limited", "network_error"];
    var reported = known.indexOf(code) >= 0 ? code :
      (code === "validation_failed" ? "validation_failed" : "server_error");
    track("waitlist_form_error", { service_slug: slug, error_code: reported });
  }

  track("show_no_slots", { service_slug: slug });

  document.getElementById("tg-button").addEventListener("click", function () {
    track("cta_tg_click", { service_slug: slug, tg_flow: "concierge", placement: "no_slots_page" });
  });
  document.getElementById("tg-button-success").addEventListener("click", function () {
    track("cta_tg_click", { service_slug: slug, tg_flow: "concierge", placement: "waitlist_success" });
  });

  form.addEventListener("focusin", function () {
    if (opened) { return; }
    opened = true;
    track("waitlist_form_opened", { service_slug: slug });
  });

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.name === "preferred_contact_method") {
      applyMethod(target.value);
      track("waitlist_method_selected", { service_slug: slug, preferred_contact_method: target.value });
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    var personal = document.getElementById("consent-personal-data").checked;
    var communications = document.getElementById("consent-communications").checked;
    if (!personal || !communications) { showError("consent_required"); return; }
    if (!contact.value.trim()) { showError("invalid_contact"); contact.focus(); return; }
    var method = selectedMethod();
    var body = {
      service_slug: slug,
      preferred_contact_method: method,
      contact_value: contact.value,
      preferred_time_window: document.getElementById("time-window").value,
      consents: {
        personal_data: personal,
        communications: communications,
        version: form.querySelector("input[name='consent_version']").value
      }
    };
    submit.disabled = true;
    fetch("/api/public/waitlist", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (response) {
      // 202 {"status": "accepted"} for a new contact and a repeat alike: one success message.
      if (response.ok) {
        form.hidden = true;
        document.getElementById("telegram-card").hidden = method !== "telegram";
        document.getElementById("success-telegram").hidden = method !== "telegram";
        success.hidden = false;
        success.focus();
        return null;
      }
      return response.json().then(function (problem) {
        showError(problem && problem.code ? problem.code : "server_error");
      }, function () { showError("server_error"); });
    }, function () {
      showError("network_error");
    }).then(function () { submit.disabled = false; });
  });

  applyMethod(selectedMethod());
})();
