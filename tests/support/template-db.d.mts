export type TTestEngine = "sqlite" | "postgresql";
export const PG_ADMIN_URL: string;
export function migrateTemplate(engine: TTestEngine): Promise<string>;
export function dropTemplates(): Promise<void>;
