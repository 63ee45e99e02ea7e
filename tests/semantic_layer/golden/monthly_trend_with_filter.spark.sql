WITH `tickets_metrics` AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', `tickets`.`created_at`) AS DATE) AS `created_date`,
    AVG(
      TIMESTAMPDIFF(
        SECOND,
        DATE_TRUNC('SECOND', `tickets`.`created_at`),
        DATE_TRUNC('SECOND', `tickets`.`first_response_at`)
      ) / 60.0D
    ) AS `avg_first_response_minutes`
  FROM tickets AS `tickets`
  WHERE
    `tickets`.`created_at` >= CAST('2026-01-01 00:00:00' AS TIMESTAMP)
    AND `tickets`.`created_at` < CAST('2026-07-01 00:00:00' AS TIMESTAMP)
    AND `tickets`.`channel` IN ('电话', 'App')
  GROUP BY
    CAST(DATE_TRUNC('MONTH', `tickets`.`created_at`) AS DATE)
)
SELECT
  `tickets_metrics`.`created_date` AS `created_date`,
  `tickets_metrics`.`avg_first_response_minutes` AS `avg_first_response_minutes`
FROM `tickets_metrics`
ORDER BY
  `created_date` NULLS LAST
