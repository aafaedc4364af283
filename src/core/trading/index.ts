/** The pure trade-lifecycle core: the live queue shell and the backtests both drive it. */
export * from "./types";
export * from "./intents";
export * from "./lifecycle";
export * from "./orders";
export * from "./proposal-terms";
export * from "./approval-check";
export * from "./account";
export * from "./funding";
export * from "./replay";
