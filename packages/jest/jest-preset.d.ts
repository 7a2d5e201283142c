/**
 * What `preset: '@workerdb/jest'` resolves to (jest-preset.js): absolute paths into this package's dist/,
 * for configs that spread or extend the preset themselves.
 */
declare const preset: {
  globalSetup: string
  globalTeardown: string
  setupFiles: string[]
  setupFilesAfterEnv: string[]
  testSequencer: string
  reporters: string[]
}

export = preset
