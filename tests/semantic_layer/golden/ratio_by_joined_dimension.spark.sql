WITH `tickets_metrics` AS (
  SELECT
    `customers`.`tier` AS `customer_tier`,
    COUNT(CASE WHEN `tickets`.`is_complaint` THEN 1 END) AS `complaint_count`,
    COUNT(*) AS `ticket_count`
  FROM tickets AS `tickets`
  LEFT JOIN customers AS `customers`
    ON `tickets`.`customer_id` = `customers`.`customer_id`
  GROUP BY
    `customers`.`tier`
)
SELECT
  `tickets_metrics`.`customer_tier` AS `customer_tier`,
  CAST(`tickets_metrics`.`complaint_count` AS DOUBLE) / NULLIF(`tickets_metrics`.`ticket_count`, 0) AS `complaint_rate`
FROM `tickets_metrics`
ORDER BY
  `customer_tier` NULLS LAST
