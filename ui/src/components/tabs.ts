// Accessible tabs (WAI-ARIA tabs pattern): arrow keys move between tabs.

import { h } from "../lib/dom";

export interface TabSpec {
  id: string;
  label: string;
  panel: HTMLElement;
  onShow?: () => void;
  /** Called when another tab is selected after this one was shown. */
  onHide?: () => void;
}

export function createTabs(specs: TabSpec[]): { list: HTMLElement; panels: HTMLElement; select(id: string): void } {
  const buttons = specs.map((s) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${s.id}`,
        "aria-controls": `tabpanel-${s.id}`,
        "aria-selected": "false",
        tabindex: "-1",
        "data-testid": `tab-${s.id}`,
      },
      s.label,
    ),
  );
  const panels = specs.map((s) =>
    h("section", { role: "tabpanel", id: `tabpanel-${s.id}`, "aria-labelledby": `tab-${s.id}`, hidden: true }, s.panel),
  );
  let current = "";
  const select = (id: string) => {
    if (id === current) return;
    const previous = current;
    current = id;
    specs.find((s) => s.id === previous)?.onHide?.();
    specs.forEach((s, i) => {
      const on = s.id === id;
      buttons[i]!.setAttribute("aria-selected", String(on));
      buttons[i]!.tabIndex = on ? 0 : -1;
      panels[i]!.hidden = !on;
      if (on) s.onShow?.();
    });
  };
  buttons.forEach((b, i) => {
    b.addEventListener("click", () => select(specs[i]!.id));
    b.addEventListener("keydown", (ev) => {
      const dir = ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0;
      if (!dir) return;
      ev.preventDefault();
      const j = (i + dir + specs.length) % specs.length;
      select(specs[j]!.id);
      buttons[j]!.focus();
    });
  });
  return {
    list: h("nav", { class: "tabs", role: "tablist", "aria-label": "Panels" }, buttons),
    panels: h("div", { class: "tab-panels" }, panels),
    select,
  };
}
