export { GithubEmulator, startGithubEmulator, GITHUB_DOCS } from './emulator.js';
export type { GithubConnectionInfo, GhCaller, GhContext, GhRouteSpec } from './emulator.js';
export type { RateLimitUpdate, RateBucket, SecondaryLimit } from './rate-limit.js';
export type { GhKey, GhRepo, GhSettings, GhState, GhToken, GhUser, RepoPermission } from './state.js';
export { DEFAULT_INVALID_KEY_MESSAGE, seedGithubState } from './state.js';
export { GITHUB_KEY_TYPES } from './store.js';
