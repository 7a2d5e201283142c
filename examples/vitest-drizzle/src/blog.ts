import { and, desc, eq, isNotNull } from 'drizzle-orm'
import type { Db } from './db.js'
import { posts, users } from './schema.js'

export async function signUp(db: Db, email: string, name: string): Promise<number> {
  const [user] = await db.insert(users).values({ email, name }).returning({ id: users.id })
  return user!.id
}

export async function draft(db: Db, authorId: number, title: string): Promise<number> {
  const [post] = await db.insert(posts).values({ authorId, title }).returning({ id: posts.id })
  return post!.id
}

export async function publish(db: Db, postId: number, at = new Date()): Promise<void> {
  await db.update(posts).set({ publishedAt: at }).where(eq(posts.id, postId))
}

/** An author's published posts, newest first. */
export async function published(db: Db, authorId: number) {
  return db.select({ title: posts.title }).from(posts)
    .where(and(eq(posts.authorId, authorId), isNotNull(posts.publishedAt)))
    .orderBy(desc(posts.publishedAt))
}
