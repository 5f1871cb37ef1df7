/**
 * Fills a database with many accounts and their history, so the benchmarks and the index test run
 * at production volumes: per user, sessions, several refresh tokens each (most retired, as rotation
 * leaves them) and audit rows. Set-based INSERT … SELECT in batches, one precomputed hash for all.
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../src/db/types.js'

export interface SeedSize {
  users: number
  sessionsPerUser?: number
  tokensPerSession?: number
  eventsPerUser?: number
}

const BATCH = 50_000

/** Seeds `seed<N>` accounts (`seed<N>@example.com`, password hash given) after the ones already there. */
export async function seed (db: Kysely<Database>, passwordHash: string, size: SeedSize): Promise<void> {
  const sessions = size.sessionsPerUser ?? 1
  const tokens = size.tokensPerSession ?? 3
  const events = size.eventsPerUser ?? 2
  for (let from = 1; from <= size.users; from += BATCH) {
    const to = Math.min(size.users, from + BATCH - 1)
    await db.transaction().execute(async (trx) => {
      await sql`
        create temporary table seeded on commit drop as
        with inserted as (
          insert into users (email, username, password_hash, created_at, updated_at)
          select 'seed' || i || '@example.com', 'seed' || i, ${passwordHash}, now() - make_interval(secs => i), now() - make_interval(secs => i)
          from generate_series(${from}::int, ${to}::int) as i
          returning id
        )
        select id from inserted`.execute(trx)
      await sql`insert into user_roles (user_id, role_name) select id, 'user' from seeded`.execute(trx)
      await sql`
        insert into sessions (user_id, created_at, last_used_at, expires_at)
        select id, now() - interval '1 day', now() - interval '1 hour', now() + interval '29 days'
        from seeded, generate_series(1, ${sessions}::int)`.execute(trx)
      // The newest token of each session is current; the older ones were rotated, as in real use.
      await sql`
        insert into refresh_tokens (token_hash, session_id, issued_at, expires_at, rotated_at)
        select md5(s.id::text || ':' || g), s.id, now() - make_interval(hours => ${tokens}::int - g),
               now() + interval '7 days', case when g < ${tokens}::int then now() - make_interval(hours => ${tokens}::int - g - 1) end
        from sessions s join seeded on seeded.id = s.user_id, generate_series(1, ${tokens}::int) as g`.execute(trx)
      await sql`
        insert into auth_events (user_id, type, created_at, ip, user_agent)
        select id, 'login', now() - make_interval(mins => g), '127.0.0.1', 'seed'
        from seeded, generate_series(1, ${events}::int) as g`.execute(trx)
    })
  }
  await sql`analyze`.execute(db)
}
