/** Patches `<outputDir>/internal/class.ts` of one generated Prisma client (see the .mjs). */
export function patchGeneratedClient(outputDir: string): "patched" | "already patched";
