import { fileURLToPath } from 'node:url'

// Both entry points are emitted into dist/ next to setup.js, so one relative URL serves them.
export const GLOBAL_SETUP_FILE = fileURLToPath(new URL('./global-setup.js', import.meta.url))
export const SETUP_FILE = fileURLToPath(new URL('./setup.js', import.meta.url))
