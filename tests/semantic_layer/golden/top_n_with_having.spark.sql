WITH `tickets_metrics` AS (
  SELECT
    `tickets`.`product_model` AS `product_model`,
    COUNT(CASE WHEN `tickets`.`is_complaint` THEN 1 END) AS `complaint_count`
  FROM tickets AS `tickets`
  GROUP BY
    `tickets`.`product_model`
)
SELECT
  `tickets_metrics`.`product_model` AS `product_model`,
  `tickets_metrics`.`complaint_count` AS `complaint_count`
FROM `tickets_metrics`
WHERE
  `tickets_metrics`.`complaint_count` > 10
ORDER BY
  `complaint_count` DESC,
  `product_model` NULLS LAST
LIMIT 5
