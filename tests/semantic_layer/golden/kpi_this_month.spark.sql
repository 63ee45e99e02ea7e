WITH `tickets_metrics` AS (
  SELECT
    COUNT(CASE WHEN `tickets`.`is_complaint` THEN 1 END) AS `complaint_count`
  FROM tickets AS `tickets`
  WHERE
    `tickets`.`created_at` >= CAST('2026-11-01 00:00:00' AS TIMESTAMP)
    AND `tickets`.`created_at` < CAST('2026-12-01 00:00:00' AS TIMESTAMP)
)
SELECT
  `tickets_metrics`.`complaint_count` AS `complaint_count`
FROM `tickets_metrics`
