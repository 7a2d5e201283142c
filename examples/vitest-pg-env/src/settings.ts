/** Read once, at import time, like most apps' config modules. */
export const settings = {
  databaseName: process.env.APP_DB_NAME,
}
