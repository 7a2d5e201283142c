import type { Kysely } from 'kysely'
import type { Database } from './db.js'

export async function createProject(db: Kysely<Database>, name: string): Promise<number> {
  const { id } = await db.insertInto('projects').values({ name }).returning('id').executeTakeFirstOrThrow()
  return id
}

export async function addTask(db: Kysely<Database>, projectId: number, title: string): Promise<number> {
  const { id } = await db.insertInto('tasks').values({ project_id: projectId, title }).returning('id').executeTakeFirstOrThrow()
  return id
}

export async function completeTask(db: Kysely<Database>, id: number): Promise<void> {
  await db.updateTable('tasks').set({ done: true }).where('id', '=', id).execute()
}

/** Open and done task counts per project, projects without tasks included. */
export async function progress(db: Kysely<Database>) {
  return db.selectFrom('projects')
    .leftJoin('tasks', 'tasks.project_id', 'projects.id')
    .select((eb) => [
      'projects.name',
      eb.fn.count<number>('tasks.id').filterWhere('tasks.done', '=', false).as('open'),
      eb.fn.count<number>('tasks.id').filterWhere('tasks.done', '=', true).as('done'),
    ])
    .groupBy('projects.name')
    .orderBy('projects.name')
    .execute()
}
