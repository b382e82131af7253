// What the toolbar's badges say: where the prices come from, whether the feed
// is stale, and how the forming candle is kept current.

import type { AppStatus, ChartView, ConnectionStatus } from "../generated/bindings";

/** Is this connection state one the chart must flag? */
export function isStale(state: ConnectionStatus["state"]): boolean {
  return state === "stale" || state === "reconnecting" || state === "failed";
}

export function staleText(c: ConnectionStatus): string {
  switch (c.state) {
    case "stale":
      return "Stale: no new data";
    case "reconnecting":
      return c.attempt > 1 ? `Disconnected: reconnecting (attempt ${c.attempt})` : "Disconnected: reconnecting…";
    case "failed":
      return "Disconnected";
    default:
      return "";
  }
}

/** The label of the data-source badge. */
export function sourceBadge(mode: AppStatus["market_mode"]): string {
  return mode === "demo" ? "Demo" : mode === "massive_delayed" ? "Delayed 15 min" : "Real-time";
}

export interface ChartBadges {
  source: { text: string; mode: AppStatus["market_mode"]; title: string };
  stale: { hidden: boolean; text: string; title: string };
  live: { hidden: boolean; text: string; mode: "stream" | "rest"; title: string };
}

/** The source, stale and live badges for this status, connection and drawn chart. */
export function chartBadges(
  status: Pick<AppStatus, "market_mode" | "market_label">,
  connection: ConnectionStatus,
  view: Pick<ChartView, "live_updates" | "refresh_secs"> | null,
): ChartBadges {
  const stale = isStale(connection.state);
  // Before the first chart arrives, assume the stream (the usual case) rather than flash "REST".
  const streaming = view?.live_updates ?? true;
  return {
    source: {
      text: sourceBadge(status.market_mode),
      mode: status.market_mode,
      title: status.market_mode === "demo" ? "Simulated prices from the built-in demo market, not real quotes" : status.market_label,
    },
    stale: { hidden: !stale, text: stale ? staleText(connection) : "", title: connection.detail ?? "" },
    live: {
      hidden: stale || connection.state === "connecting",
      text: streaming ? "Live" : `REST refresh · ${view?.refresh_secs ?? 15} s`,
      mode: streaming ? "stream" : "rest",
      title: streaming ? "The forming candle updates from the market stream" : "Live updates are off: the chart refreshes over REST",
    },
  };
}
