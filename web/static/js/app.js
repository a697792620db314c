// The console's router: #/ submit, #/track/<code>[/<reporter token>] (the token of a tracking
// link: aduan/infra/tracking_links.py), #/staff (sign-in), #/operator/<queue>,
// #/agency, #/leader, #/admin (the sysadmin's staff directory), #/me (one's own contacts),
// #/staff/report/<code>, #/desk (operators file for a caller or visitor), #/map (the public map
// and list), #/scorecard[/<days>] (the agencies' public scorecard), #/follow/<code>/<follower>/<token>
// (the link that confirms following), #/unfollow/<code>/<follower>/<token> (a follower's link
// that stops their messages), #/lapor (SP4N-LAPOR!: the connector's state, the topic mapping),
// #/mine (the resident's reports on this device: waiting, sent, recovered; push notifications).
import { ADMIN_ROLES, adminPage, myAccountPage } from "./admin.js";
import { call, setStaff, staff } from "./api.js";
import { DESK_ROLES, deskPage } from "./desk.js";
import { LAPOR_ROLES, laporPage } from "./lapor.js";
import { flash, h, mount } from "./dom.js";
import { ESCALATION_ROLES, escalationsPage } from "./escalations.js";
import { language, loadNames, t, toggleLanguage } from "./i18n.js";
import { LEADER_ROLES, leaderPage } from "./leader.js";
import { mapPage } from "./map.js";
import { minePage } from "./mine.js";
import { resyncPush } from "./push.js";
import { manifestLanguage, registerWorker } from "./pwa.js";
import { followPage, unfollowPage } from "./nearby.js";
import { submitPage, trackPage } from "./resident.js";
import { scorecardPage } from "./scorecard.js";
import { startSending } from "./sender.js";
import { tasksPage } from "./tasks.js";
import { ACTING_AGENCY_ROLES, agencyPage, homeOf, loginPage, operatorPage, staffReportPage }
  from "./staff.js";

function nav() {
  const user = (staff() || {}).user;
  const links = [["#/", "nav_report"], ["#/mine", "my_reports"], ["#/track", "nav_track"],
    ["#/map", "nav_map"], ["#/scorecard", "nav_scorecard"]];
  if (!user) links.push(["#/staff", "nav_staff"]);
  else if (user.role === "operator") links.push(["#/operator", "nav_operator"]);
  else if (ACTING_AGENCY_ROLES.includes(user.role)) links.push(["#/agency", "nav_agency"]);
  if (user && user.role === "officer") links.push(["#/tasks", "nav_tasks"]);
  if (user && DESK_ROLES.includes(user.role)) links.push(["#/desk", "nav_desk"]);
  if (user && LEADER_ROLES.includes(user.role)) {
    links.push(["#/leader", "nav_leader"]);
  }
  if (user && ESCALATION_ROLES.includes(user.role)) links.push(["#/escalations", "nav_escalations"]);
  if (user && ADMIN_ROLES.includes(user.role)) links.push(["#/admin", "nav_admin"]);
  if (user && LAPOR_ROLES.includes(user.role)) links.push(["#/lapor", "nav_lapor"]);
  if (user) links.push(["#/me", "nav_me"]);
  const items = links.map(([href, key]) => h("a", { href }, t(key)));
  if (user) {
    items.push(h("a", { href: "#/", id: "logout", onclick: async () => {
      const session = staff();
      setStaff(null);
      if (session) {
        call("/auth/logout", { method: "POST", json: { refresh_token: session.refresh_token } })
          .catch(() => {});
      }
    } }, `${t("nav_logout")} (${user.username})`));
  }
  document.getElementById("nav").replaceChildren(...items);
  document.getElementById("lang").textContent = language() === "en" ? "ID" : "EN";
  document.documentElement.lang = language();
  manifestLanguage(language());
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
}

function needsStaff(roles, page) {
  const user = (staff() || {}).user;
  if (!user) { window.location.hash = "#/staff"; return undefined; }
  if (roles && !roles.includes(user.role)) { window.location.hash = homeOf(user); return undefined; }
  return page();
}

async function route() {
  nav();
  const parts = window.location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const [page, arg, more] = parts;
  if (!page) return submitPage();
  if (page === "track") return trackPage(arg, more);
  if (page === "mine") return minePage();
  if (page === "map") return mapPage();
  if (page === "scorecard") return scorecardPage(arg);
  if (page === "follow") return followPage(...parts.slice(1));
  if (page === "unfollow") return unfollowPage(...parts.slice(1));
  if (page === "staff" && arg === "report" && more) return needsStaff(null, () => staffReportPage(more));
  if (page === "staff") return staff() ? (window.location.hash = homeOf(staff().user)) : loginPage();
  if (page === "operator") return needsStaff(["operator"], () => operatorPage(arg));
  if (page === "agency") return needsStaff(ACTING_AGENCY_ROLES, agencyPage);
  if (page === "desk") return needsStaff(DESK_ROLES, deskPage);
  if (page === "tasks") return needsStaff(["officer"], tasksPage);
  if (page === "leader") return needsStaff(LEADER_ROLES, leaderPage);
  if (page === "escalations") return needsStaff([...ESCALATION_ROLES, "operator"], escalationsPage);
  if (page === "admin") return needsStaff(ADMIN_ROLES, adminPage);
  if (page === "lapor") return needsStaff(LAPOR_ROLES, laporPage);
  if (page === "me") return needsStaff(null, myAccountPage);
  return mount(h("p", {}, t("not_found")));
}

window.addEventListener("hashchange", () => { flash(""); route(); });
document.getElementById("lang").addEventListener("click", () => { toggleLanguage(); route(); });
const start = () => {
  registerWorker();
  startSending();
  resyncPush().catch(() => {}); // a subscription the browser renewed, registered again
  return loadNames().then(route);
};
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
