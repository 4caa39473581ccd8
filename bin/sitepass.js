#!/usr/bin/env node
// The `sitepass` command. The relay is TypeScript that shares src/lib/domain with the app, so
// it runs through tsx's loader rather than a second compiled copy.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../sync-server/cli.ts');
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
