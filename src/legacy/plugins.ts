/** The plugins bundled with roomgate, by the name a config file uses. */
import type { AnyPlugin } from './plugin.ts';
import { demoPlugin } from './demo/plugin.ts';
import { ircPlugin } from './irc/plugin.ts';

export const BUNDLED_PLUGINS: Record<string, AnyPlugin> = {
  demo: demoPlugin,
  irc: ircPlugin,
};
