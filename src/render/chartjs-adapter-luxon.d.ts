// The package ships no types; it is imported only for its side effect (Chart.js's date adapter).
declare module "chartjs-adapter-luxon";
