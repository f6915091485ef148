import { formatAmount } from "./format";
import { logEvent } from "./analytics";
import { startPayment } from "./payment";

const button = document.querySelector<HTMLButtonElement>("#pay");
button?.addEventListener("click", () => {
  logEvent("pay-clicked");
  void startPayment("order-1", formatAmount(49900));
});
