SELECT
  `tickets`.`ticket_id` AS `ticket_id`,
  `customers`.`customer_name` AS `customer_name`,
  `surveys`.`csat_score` AS `csat_score`,
  `surveys`.`comment` AS `comment`
FROM surveys AS `surveys`
LEFT JOIN tickets AS `tickets`
  ON `surveys`.`ticket_id` = `tickets`.`ticket_id`
LEFT JOIN customers AS `customers`
  ON `tickets`.`customer_id` = `customers`.`customer_id`
WHERE
  `tickets`.`created_at` >= CAST('2026-11-09 00:00:00' AS TIMESTAMP)
  AND `tickets`.`created_at` < CAST('2026-11-16 00:00:00' AS TIMESTAMP)
  AND `customers`.`tier` = 'VIP'
  AND `surveys`.`csat_score` <= 2
ORDER BY
  `surveys`.`survey_id` NULLS LAST
LIMIT 50
