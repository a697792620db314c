// The city's sysadmin: the staff directory. Every account of the city with its role, agency
// and contacts (who hears what is derived from these: docs/NOTIFICATIONS.md); add an
// account, change someone's contacts, role or agency, disable an account.
import { staff, staffCall } from "./api.js";
import { busy, field, flash, h, mount, showError } from "./dom.js";
import { t } from "./i18n.js";

export const ADMIN_ROLES = ["sysadmin"];  // the platform admin has no city of its own
const ROLES = ["operator", "agency_admin", "officer", "agency_head", "leader", "sysadmin"];
const AGENCY_BOUND = ["agency_admin", "officer", "agency_head"];

const roleName = (role) => t(`role_${role}`);

// The user API's refusals said in the page's language (the code stays shown beside it).
async function saying(work) {
  try { return await work(); } catch (err) {
    const key = `admin_err_${err && err.code}`;
    if (t(key) !== key) err.message = t(key);
    throw err;
  }
}

function select(name, options, current, labelOf = (v) => v) {
  return h("select", { name }, ...options.map((value) => h("option",
    { value, selected: value === (current ?? "") }, labelOf(value))));
}

function agencySelect(agencies, current) {
  return select("agency", ["", ...agencies.map((a) => a.code)], current,
    (code) => (code ? `${code} — ${(agencies.find((a) => a.code === code) || {}).name_id || ""}`
      : t("admin_no_agency")));
}

// The fields both forms share, as named controls; `user` fills them in for an edit.
function contactControls(user = {}) {
  return {
    name: h("input", { type: "text", name: "name", maxlength: "100", value: user.name || "" }),
    email: h("input", { type: "email", name: "email", maxlength: "254", autocomplete: "off",
      value: user.email || "" }),
    phone: h("input", { type: "text", inputmode: "tel", name: "phone", maxlength: "40",
      autocomplete: "off",
      placeholder: "0812-3456-7890", value: user.phone || "" }),
    language: select("language", ["id", "en"], user.language || "id",
      (code) => (code === "en" ? "English" : "Bahasa Indonesia")),
  };
}

function contactFields(controls) {
  return [field(t("admin_name"), controls.name), field(t("admin_email"), controls.email),
    field(t("admin_phone"), controls.phone), field(t("admin_language"), controls.language)];
}

// The agency picker only counts for agency-bound roles; other roles send none.
function agencyFor(role, agencyControl) {
  return AGENCY_BOUND.includes(role) ? agencyControl.value || null : null;
}

function addForm(city, agencies, reload) {
  const username = h("input", { type: "text", name: "username", required: true,
    pattern: "[a-z0-9._\\-]{3,40}", autocomplete: "off" });
  const password = h("input", { type: "password", name: "password", required: true,
    minlength: "10", autocomplete: "new-password" });
  const role = select("role", ROLES, "operator", roleName);
  const agency = agencySelect(agencies, "");
  const contacts = contactControls();
  const save = h("button", { type: "submit", id: "add-user" }, t("admin_add"));
  const form = h("form", { id: "add-user-form", class: "card" }, h("h2", {}, t("admin_add")),
    field(t("admin_username"), username), field(t("admin_password"), password),
    field(t("admin_role"), role), field(t("admin_agency"), agency), ...contactFields(contacts),
    save);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, () => saying(async () => {
      const body = { username: username.value.trim(), password: password.value,
        role: role.value, city, agency: agencyFor(role.value, agency),
        language: contacts.language.value };
      for (const key of ["name", "email", "phone"]) {
        if (contacts[key].value.trim()) body[key] = contacts[key].value.trim();
      }
      if (!body.agency) delete body.agency;
      const user = await staffCall("/users", { method: "POST", json: body });
      flash(`${t("admin_added")}: ${user.username}`);
      form.reset();
      await reload();
    }));
  });
  return form;
}

function editRow(user, agencies, reload) {
  const contacts = contactControls(user);
  const role = select("role", ROLES, user.role, roleName);
  const agency = agencySelect(agencies, user.agency || "");
  const disabled = h("input", { type: "checkbox", name: "disabled", checked: !!user.disabled });
  const save = h("button", { type: "submit" }, t("admin_save"));
  const cancel = h("button", { type: "button", onclick: () => reload() }, t("admin_cancel"));
  const form = h("form", { class: "edit-user", "data-user": user.username },
    ...contactFields(contacts), field(t("admin_role"), role), field(t("admin_agency"), agency),
    field(t("admin_disabled"), disabled), h("div", {}, save, " ", cancel));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, () => saying(async () => {
      // "" clears a contact; the role's agency goes with the role (null: none).
      await staffCall(`/users/${encodeURIComponent(user.id)}`, { method: "PATCH", json: {
        name: contacts.name.value.trim() || null, email: contacts.email.value.trim(),
        phone: contacts.phone.value.trim(), language: contacts.language.value,
        role: role.value, agency: agencyFor(role.value, agency), disabled: disabled.checked,
      } });
      flash(`${t("admin_saved")}: ${user.username}`);
      await reload();
    }));
  });
  return h("tr", { class: "editing", "data-user": user.username },
    h("td", { colspan: "8" }, h("strong", {}, user.username), form));
}

function usersTable(users, agencies, reload) {
  if (!users.length) return h("p", { class: "muted" }, t("empty"));
  const body = h("tbody", {});
  const row = (user) => {
    const edit = h("button", { type: "button", class: "edit" }, t("admin_edit"));
    const tr = h("tr", { "data-user": user.username, class: user.disabled ? "muted" : null },
      h("td", {}, user.username), h("td", {}, user.name || "—"), h("td", {}, roleName(user.role)),
      h("td", {}, user.agency || "—"), h("td", {}, user.email || "—"),
      h("td", {}, user.phone || "—"), h("td", {}, user.language === "en" ? "EN" : "ID"),
      h("td", {}, user.disabled ? t("admin_disabled") : t("admin_active"), " ", edit));
    edit.addEventListener("click", () => tr.replaceWith(editRow(user, agencies, reload)));
    return tr;
  };
  body.append(...users.map(row));
  const columns = ["admin_username", "admin_name", "admin_role", "admin_agency", "admin_email",
    "admin_phone", "admin_language", "status"];
  return h("div", { class: "table-wrap" }, h("table", { id: "users" },
    h("thead", {}, h("tr", {}, ...columns.map((key) => h("th", { scope: "col" }, t(key))))),
    body));
}

export async function adminPage() {
  const me = (staff() || {}).user || {};
  const list = h("section", { class: "card", id: "user-list", "aria-live": "polite" });
  const holder = h("div", {});
  mount(h("h1", {}, t("admin_title")), h("p", { class: "muted" }, t("admin_hint")), list,
    holder);
  let agencies = [];
  const reload = async () => {
    try {
      const { items } = await staffCall("/users");
      list.replaceChildren(h("h2", {}, t("admin_users")), usersTable(items, agencies, reload));
    } catch (err) { showError(err); }
  };
  try {
    agencies = (await staffCall("/agencies")).agencies;
  } catch (err) { showError(err); }
  holder.replaceChildren(addForm(me.city, agencies, reload));
  await reload();
}

// Any signed-in staff member: their own name, email, phone and message language
// (PATCH /auth/me; role and agency stay the sysadmin's to change).
export async function myAccountPage() {
  const holder = h("section", { class: "card", id: "my-account" });
  mount(h("h1", {}, t("me_title")), h("p", { class: "muted" }, t("me_hint")), holder);
  try {
    const me = await staffCall("/auth/me");
    const contacts = contactControls(me);
    const save = h("button", { type: "submit", id: "save-me" }, t("admin_save"));
    const form = h("form", { id: "me-form" },
      h("p", {}, `${me.username} · ${roleName(me.role)}${me.agency ? ` · ${me.agency}` : ""}`),
      ...contactFields(contacts), save);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(save, () => saying(async () => {
        const user = await staffCall("/auth/me", { method: "PATCH", json: {
          name: contacts.name.value.trim() || null, email: contacts.email.value.trim(),
          phone: contacts.phone.value.trim(), language: contacts.language.value } });
        contacts.phone.value = user.phone || "";
        contacts.email.value = user.email || "";
        flash(t("admin_saved"));
      }));
    });
    holder.replaceChildren(form);
  } catch (err) { showError(err); }
}
