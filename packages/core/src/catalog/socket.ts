/**
 * A driver connection's socket, ref'd only while it works, so that an idle connection a worker keeps never
 * holds its process open. node-postgres' Client and mysql2's connection both keep it at `.connection.stream`.
 * Loaded by workers (the reset): nothing here but this.
 */
export function socketHold(driverConnection: unknown): (on: boolean) => void {
  return (on) => {
    const stream = (driverConnection as { connection?: { stream?: { ref?: () => void; unref?: () => void } } }).connection?.stream
    if (on) stream?.ref?.()
    else stream?.unref?.()
  }
}
