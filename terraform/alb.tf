# Internet-facing ALB in the public subnets, forwarding to the API tasks.
#
# HTTPS by default: certificate_arn is required, 443 serves the public routes and 80
# only redirects to 443. Plain HTTP on 80 is an explicit opt-out for test stacks
# (allow_plain_http = true without a certificate).
#
# Only the public routes are forwarded (local.alb_public_paths: the dashboard, /ui/*,
# /urls, /urls/*, /dashboard/*); anything else, /metrics, /status and /healthz among
# them, gets a 404 JSON answer from the ALB itself. The target group's health check
# does not go through a listener: it probes the liveness route on each task directly.

resource "aws_lb" "api" {
  name                       = "${local.name}-api"
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = local.public_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  idle_timeout               = 60

  lifecycle {
    precondition {
      condition     = var.certificate_arn != null || var.allow_plain_http
      error_message = "certificate_arn is required (HTTPS by default). For a throw-away test stack only, set allow_plain_http = true to serve plain HTTP."
    }
    precondition {
      condition     = var.create_network || (var.vpc_id != null && length(var.public_subnet_ids) >= 2 && length(var.private_subnet_ids) >= 2)
      error_message = "Either create_network = true, or give vpc_id, public_subnet_ids and private_subnet_ids."
    }
  }
}

resource "aws_lb_target_group" "api" {
  name                 = "${local.name}-api"
  port                 = var.api_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = data.aws_vpc.this.id
  deregistration_delay = 30

  health_check {
    enabled             = true
    path                = local.liveness_path
    port                = "traffic-port"
    protocol            = "HTTP"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

locals {
  # The listener that serves the API: 443, or 80 with the plain-HTTP opt-out.
  serving_listener_arn = local.https_enabled ? aws_lb_listener.https[0].arn : aws_lb_listener.http.arn
  not_found = {
    content_type = "application/json"
    message_body = "{\"error\":\"no such route\"}"
    status_code  = "404"
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.api.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = local.https_enabled ? "redirect" : "fixed-response"

    dynamic "redirect" {
      for_each = local.https_enabled ? [1] : []
      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }

    dynamic "fixed_response" {
      for_each = local.https_enabled ? [] : [1]
      content {
        content_type = local.not_found.content_type
        message_body = local.not_found.message_body
        status_code  = local.not_found.status_code
      }
    }
  }
}

resource "aws_lb_listener" "https" {
  count = local.https_enabled ? 1 : 0

  load_balancer_arn = aws_lb.api.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = local.not_found.content_type
      message_body = local.not_found.message_body
      status_code  = local.not_found.status_code
    }
  }
}

resource "aws_lb_listener_rule" "public" {
  count = length(local.alb_path_groups)

  listener_arn = local.serving_listener_arn
  priority     = 10 + count.index

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }

  condition {
    path_pattern {
      values = local.alb_path_groups[count.index]
    }
  }
}
