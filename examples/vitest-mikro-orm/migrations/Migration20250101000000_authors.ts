import { Migration } from '@mikro-orm/migrations'

export class Migration20250101000000_authors extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table "authors" ("id" serial primary key, "name" varchar(255) not null unique);')
  }

  override async down(): Promise<void> {
    this.addSql('drop table "authors";')
  }
}
