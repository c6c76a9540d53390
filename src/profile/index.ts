/** `alpaca profile`: candidates from one profiled run, then an energy comparison for each; its reports. */
export { chooseCandidates, type Candidate, type CandidateChoice } from "./candidates.js";
export { runProfile, DEFAULT_TOP, type MeasureOptions, type ProfileOptions, type ProfileResult, type PhaseEvent } from "./profile-run.js";
export { formatProfileReport, profileJson } from "./profile-report.js";
export { energyHtml, profileHtml } from "./html-documents.js";
