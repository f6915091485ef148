export function formatAmount(minor: number): string {
  return (minor / 100).toFixed(2) + " NOK";
}
