-- Which claim of a delivery an attempt belongs to: set when a dispatcher claims the row, cleared by a
-- redelivery. An attempt records its outcome only under its own claim, so one still in flight when the delivery
-- is redelivered (or claimed again) cannot overwrite the newer attempt's count or result.
alter table jobs.webhook_deliveries add column claim_id uuid;
