import type { Command } from "./args.js";
export const k8sCommand: Command = async () => 2;
