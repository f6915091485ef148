export function logEvent(name: string): void {
  console.info("event", name, Date.now());
}
