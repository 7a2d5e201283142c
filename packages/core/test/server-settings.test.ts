import { describe, expect, it } from 'vitest'
import { FAST_SETTINGS, settingArgs } from '../src/server/settings.js'

describe('the settings of the servers workerdb starts', () => {
  it('turns settings into the -c arguments postgres takes, in order', () => {
    expect(settingArgs({ fsync: 'off', work_mem: '8MB' })).toEqual(['-c', 'fsync=off', '-c', 'work_mem=8MB'])
    expect(settingArgs({})).toEqual([])
  })

  it('never asks for wal_level=minimal without max_wal_senders=0, which postgres refuses to start with', () => {
    expect(FAST_SETTINGS.wal_level).toBe('minimal')
    expect(FAST_SETTINGS.max_wal_senders).toBe('0')
  })

  it('leaves listening to each server: 127.0.0.1 for the embedded one, the default inside a container', () => {
    expect(FAST_SETTINGS).not.toHaveProperty('listen_addresses')
  })
})
