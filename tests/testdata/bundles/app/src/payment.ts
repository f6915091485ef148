// The mistake lekk exists for: a server credential compiled into browser code.
const SAGAPAY_API_URL = "https://api.sagapay.no/v1";

const SAGAPAY_API_KEY = "@@LEKK_SAGAPAY_KEY_PLACEHOLDER@@";

export async function startPayment(orderId: string, amount: string): Promise<Response> {
  return fetch(`${SAGAPAY_API_URL}/payments`, {
    method: "POST",
    headers: { "X-API-Key": SAGAPAY_API_KEY },
    body: JSON.stringify({ orderId, amount }),
  });
}
