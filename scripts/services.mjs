// The platform's services from services.json, for the plain-JavaScript scripts (TypeScript reads it
// through libs/testing's loadServices, which also checks it; apps/deploy-check tests it).
import { readFileSync } from 'node:fs';

/** @type {Array<{ name: string, main: string, port: { variable: string, container: number }, database?: string, env: string[], calls: string[] }>} */
export const services = JSON.parse(readFileSync(new URL('../services.json', import.meta.url), 'utf8')).services;
