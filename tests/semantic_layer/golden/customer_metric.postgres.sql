WITH "customers_metrics" AS (
  SELECT
    "customers"."tier" AS "customer_tier",
    COUNT(CASE WHEN "customers"."repurchased" THEN 1 END) AS "repurchased_customer_count",
    COUNT(*) AS "customer_count"
  FROM customers AS "customers"
  GROUP BY
    "customers"."tier"
)
SELECT
  "customers_metrics"."customer_tier" AS "customer_tier",
  CAST("customers_metrics"."repurchased_customer_count" AS DOUBLE PRECISION) / NULLIF("customers_metrics"."customer_count", 0) AS "repurchase_rate"
FROM "customers_metrics"
ORDER BY
  "customers_metrics"."customer_tier" COLLATE "C"
