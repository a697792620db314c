// A strip of photos, each a thumbnail linking to the whole picture. The gateway serves them
// under the report's rules, so they are fetched like any call (staff or reporter headers).
import { photoSrc } from "./api.js";
import { h } from "./dom.js";

export function photoGallery(items, label, options = {}) {
  if (!items || !items.length) return null;
  return h("div", { class: "photos" }, ...items.map((p, i) => {
    const img = h("img", { alt: `${label} ${i + 1}` });
    const link = h("a", { target: "_blank", rel: "noopener" }, img);
    photoSrc(p.thumbnail_url || p.url, options).then((src) => { img.src = src; })
      .catch(() => {});
    photoSrc(p.url, options).then((src) => { link.href = src; }).catch(() => {});
    return link;
  }));
}
