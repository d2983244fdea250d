export { demoPlugin, parseDemoOptions, SAMPLE_WORLD_PATH, DEFAULT_HTTP_PORT, type DemoOptions, type DemoShared } from './plugin.ts';
export { DemoSession, toXmppError } from './session.ts';
export { DemoBookmarks } from './bookmarks.ts';
export { DemoMUC } from './muc.ts';
export { DemoNetwork, type DemoNetworkOptions } from './network.ts';
export {
  DemoError, type DemoEvent, type DemoListener, type DemoMessage, type DemoSentMessage,
  type DemoParticipant, type DemoRoomInfo, type DemoRoomView,
} from './types.ts';
export { startDemoHttp, MAX_BODY_BYTES, type DemoHttp, type DemoHttpOptions } from './http.ts';
export { startChatter, type ChatterOptions } from './chatter.ts';
export {
  parseWorld, loadWorld, shiftTimestamps, formatIssues, WorldError, worldSchema, roomSchema,
  type World, type WorldRoom, type WorldRoomInput, type WorldMessage, type WorldParticipant, type RoomType,
} from './world.ts';
