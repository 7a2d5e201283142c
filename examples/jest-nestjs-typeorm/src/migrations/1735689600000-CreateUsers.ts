import { MigrationInterface, QueryRunner } from 'typeorm'

export class CreateUsers1735689600000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "users" ("id" SERIAL PRIMARY KEY, "email" character varying NOT NULL UNIQUE, "name" character varying NOT NULL)`)
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "users"`)
  }
}
