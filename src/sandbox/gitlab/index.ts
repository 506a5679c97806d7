export { GitlabEmulator, startGitlabEmulator } from './emulator.js';
export type { GitlabConnectionInfo, GlCaller, GlContext, GlRouteSpec, ThrottleUpdate } from './emulator.js';
export type {
  GlDeployLink,
  GlGroup,
  GlKey,
  GlProject,
  GlSettings,
  GlState,
  GlToken,
  GlUser,
} from './state.js';
export { ACCESS, seedGitlabState } from './state.js';
export { GITLAB_KEY_TYPES } from './store.js';
