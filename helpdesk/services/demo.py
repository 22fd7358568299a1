"""The demo: the bundled provisioning file, a month of sample tickets, and the demo logins.

Sample tickets go through the real ticket services with historical `now` values, so
their events, SLA clocks and status changes are what real use would have left.
The same seed and `now` always give the same tickets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from helpdesk.models import Client, OutboundMail, Ticket, User
from helpdesk.services.provisioning import parse_yaml, provision_file
from helpdesk.services.tickets import NewTicket, add_message, create_ticket, update_ticket

DEMO_FILE = Path(__file__).resolve().parent.parent / "demo" / "demo.yaml"
BASE_URL = "http://127.0.0.1:5000"
SEED = 2026
DAYS = 30
CATEGORIES = ("billing", "network", "hardware", "accounts", "email")
PRIORITY_WEIGHTS = {"low": 20, "normal": 50, "high": 22, "urgent": 8}
CHANNEL_WEIGHTS = {"portal": 45, "email": 25, "api": 15, "chat": 15}
# Minutes from filing to pickup, by priority: (shortest, longest).
PICKUP_MINUTES = {"urgent": (2, 25), "high": (5, 90), "normal": (15, 300), "low": (60, 900)}


def load_demo(
    session: Session,
    *,
    tickets: int = 300,
    now: datetime,
    seed: int = SEED,
    path: Path = DEMO_FILE,
    base_url: str = BASE_URL,
) -> list[str]:
    """Provision the demo world; add sample tickets if there are none yet; end with the logins."""
    report = provision_file(session, path, now=now)
    data = parse_yaml(path.read_text(encoding="utf-8"))
    lines = report.lines() or [_("The demo world is already loaded: nothing changed.")]
    if session.scalar(select(func.count(Ticket.id))):
        lines.append(_("Tickets already exist: no sample tickets added."))
    elif tickets > 0:
        session.commit()  # end the read above before another connection writes
        # The loader is the only writer meanwhile, so reloading every object after each of
        # the services' thousands of commits (expire_on_commit) would be wasted time.
        with Session(bind=session.get_bind(), expire_on_commit=False) as work:
            made = create_sample_tickets(
                work,
                count=tickets,
                now=now,
                seed=seed,
                slugs=[client["slug"] for client in data.get("clients") or ()],
            )
            # Sample tickets are made-up history: their customers are never mailed.
            work.execute(
                update(OutboundMail)
                .where(OutboundMail.status == "queued")
                .values(status="skipped", last_error="sample ticket from flask demo: not sent")
            )
            work.commit()
        lines.append(
            _(
                "Created %(count)d sample tickets over the last %(days)d days.",
                count=made,
                days=DAYS,
            )
        )
    return lines + login_lines(data, base_url)


def login_lines(data: dict[str, Any], base_url: str = BASE_URL) -> list[str]:
    """The "Demo logins" block: every role's e-mail and password, and where to sign in."""
    lines = ["", _("Demo logins"), "=" * len(_("Demo logins"))]
    # URLs are built apart: an f-string inside _() would stop Babel extracting the message.
    staff_url = f"{base_url}/login"
    lines.append(_("Staff sign in at %(url)s", url=staff_url))
    staff = (
        [("admin", person, "") for person in data.get("admins", [])]
        + [("supervisor", person, person["client"]) for person in data.get("supervisors", [])]
        + [("agent", person, person.get("site", "")) for person in data.get("agents", [])]
    )
    for role, person, where in staff:
        lines.append(_row(role, person, where))
    for client in data.get("clients", []):
        slug = client["slug"]
        lines.append("")
        portal_url = f"{base_url}/c/{slug}/"
        lines.append(_("%(name)s portal: %(url)s", name=client["name"], url=portal_url))
        for person in data.get("customers", []):
            if person["client"] == slug:
                lines.append(_row("customer", person, person.get("locale", "")))
        if client.get("intake_token"):
            lines.append(
                "  "
                + _(
                    "API intake token: %(token)s (Authorization: Bearer …)",
                    token=client["intake_token"],
                )
            )
    return lines


def _row(role: str, person: dict, note: str) -> str:
    return f"  {role:<11} {person['email']:<24} {person.get('password', ''):<16} {note}".rstrip()


# -- sample tickets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Agent:
    user: User
    client_ids: frozenset[int] | None  # None: every client
    languages: frozenset[str]  # base languages: "pt" for pt_BR
    skills: frozenset[str]

    def fits(self, client_id: int, language: str) -> bool:
        served = self.client_ids is None or client_id in self.client_ids
        return served and language in self.languages


def create_sample_tickets(
    session: Session, *, count: int, now: datetime, seed: int, slugs: list[str]
) -> int:
    """File `count` tickets for these clients over the last DAYS days, each played up to `now`."""
    rng = random.Random(seed)
    clients = list(
        session.scalars(select(Client).where(Client.slug.in_(slugs)).order_by(Client.slug))
    )
    customers = {
        client.id: list(
            session.scalars(
                select(User)
                .where(User.client_id == client.id, User.role == "customer", User.active)
                .order_by(User.email)
            )
        )
        for client in clients
    }
    clients = [client for client in clients if customers[client.id]]
    agents = [
        _Agent(
            user=agent,
            client_ids=None
            if agent.serves_all_clients
            else frozenset(c.id for c in agent.served_clients),
            languages=frozenset(_language(code) for code in agent.language_codes),
            skills=frozenset(agent.skill_names),
        )
        for agent in session.scalars(
            select(User).where(User.role == "agent", User.active).order_by(User.email)
        )
    ]
    if not clients or not agents:
        return 0
    plans = []
    for _i in range(count):
        client = rng.choice(clients)
        plans.append(
            (
                _filing_time(rng, now, client.timezone),
                client,
                rng.choice(customers[client.id]),
                _weighted(rng, PRIORITY_WEIGHTS),
                _weighted(rng, CHANNEL_WEIGHTS),
                rng.choice(CATEGORIES),
                rng.random(),  # each ticket's own stream, so one ticket's path never shifts another
            )
        )
    plans.sort(key=lambda plan: plan[0])
    for filed_at, client, customer, priority, channel, category, own_seed in plans:
        _play(
            session,
            random.Random(own_seed),
            now=now,
            filed_at=filed_at,
            client=client,
            customer=customer,
            priority=priority,
            channel=channel,
            category=category,
            agents=agents,
        )
    return len(plans)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _filing_time(rng: random.Random, now: datetime, timezone: str) -> datetime:
    """A moment in the last DAYS days, mostly in the client's office hours."""
    zone = ZoneInfo(timezone)
    span = DAYS * 24 * 60
    while True:
        at = now - timedelta(minutes=rng.uniform(10, span))
        local = at.astimezone(zone)
        weekday, hour = local.weekday(), local.hour
        keep = 0.15 if weekday >= 5 else (1.0 if 8 <= hour < 18 else 0.3)
        if rng.random() < keep:
            return at.replace(microsecond=0)


def _language(locale: str) -> str:
    return locale.split("_")[0]


def _pick_agent(
    rng: random.Random, agents: list[_Agent], client_id: int, language: str, category: str
) -> _Agent | None:
    fitting = [a for a in agents if a.fits(client_id, language)] or [
        a for a in agents if a.fits(client_id, "en")
    ]
    skilled = [a for a in fitting if category in a.skills]
    pool = skilled or fitting
    return rng.choice(pool) if pool else None


def _play(
    session: Session,
    rng: random.Random,
    *,
    now: datetime,
    filed_at: datetime,
    client: Client,
    customer: User,
    priority: str,
    channel: str,
    category: str,
    agents: list[_Agent],
) -> None:
    """File one ticket at `filed_at` and act out what happened to it until `now`."""
    lang = _language(customer.locale or client.default_locale)
    texts = TEXTS.get(lang, TEXTS["en"])
    subject, body = rng.choice(texts["tickets"][category])
    ticket = create_ticket(
        session,
        client=client,
        requester=customer,
        cmd=NewTicket(
            subject=subject,
            body=body,
            priority=priority,
            channel=channel,
            locale=customer.locale,
            category=category,
        ),
        now=filed_at,
    )
    agent = _pick_agent(rng, agents, client.id, lang, category)
    clock = filed_at

    def later(low: float, high: float) -> bool:
        """Move the story on by low..high minutes; False once that would pass `now`."""
        nonlocal clock
        clock += timedelta(minutes=rng.uniform(low, high))
        clock = clock.replace(microsecond=0)
        return clock < now

    if agent is None or rng.random() < 0.06 or not later(*PICKUP_MINUTES[priority]):
        return  # still waiting in the queue
    if ticket.assignee_id is None:  # routing may already have assigned it
        update_ticket(
            session, ticket=ticket, actor=agent.user, now=clock, assignee_id=agent.user.id
        )
    staff = ticket.assignee or agent.user
    names = {"agent": staff.name.split()[0], "customer": _address(customer.name, lang)}

    def say(author: User, key: str, *, internal: bool = False) -> None:
        text = rng.choice(NOTES) if internal else texts[key].format(**names)
        add_message(
            session,
            ticket=ticket,
            author=author,
            body=text,
            now=clock,
            internal=internal,
            channel=channel,
        )

    if not later(1, 15):
        return
    say(staff, "agent_first")
    if rng.random() < 0.3 and later(2, 40):
        say(staff, "note", internal=True)
    if priority in ("normal", "high") and rng.random() < 0.08 and later(5, 60):
        raised = "high" if priority == "normal" else "urgent"
        update_ticket(session, ticket=ticket, actor=staff, now=clock, priority=raised)
    story = rng.random()
    if story < 0.45:  # needs the customer's input first
        if not later(10, 120):
            return
        say(staff, "agent_ask")
        update_ticket(session, ticket=ticket, actor=staff, now=clock, status="pending")
        if rng.random() < 0.2 or not later(20, 2 * 24 * 60):
            return  # the customer has not answered (yet)
        say(customer, "customer_reply")
    elif story > 0.85:  # still being worked on; the customer chases it
        if later(3 * 60, 3 * 24 * 60):
            say(customer, "customer_nudge")
        return
    if not later(30, 24 * 60):
        return
    say(staff, "agent_solved")
    update_ticket(session, ticket=ticket, actor=staff, now=clock, status="solved")
    if rng.random() < 0.7 and later(3 * 24 * 60, 4 * 24 * 60):
        update_ticket(session, ticket=ticket, actor=staff, now=clock, status="closed")


def _address(name: str, lang: str) -> str:
    """How a reply greets the customer: the family name in Japanese, else the first name."""
    parts = name.split()
    return parts[-1] if lang == "ja" else parts[0]


# -- what people write, per language --------------------------------------------------------------

NOTES = (
    "Checked the logs: this matches this morning's outage at the data centre.",
    "Escalated to the network team; waiting for their answer.",
    "VIP user at this client, keep them posted.",
    "Known issue, see the knowledge base article on it.",
    "Handed over from the previous shift; the customer has already asked twice.",
)

TEXTS: dict[str, dict[str, Any]] = {
    "en": {
        "tickets": {
            "billing": [
                (
                    "Invoice shows the wrong amount",
                    "Our invoice for this month lists 48 licences but we only have 40 seats. "
                    "Could you check and send a corrected invoice?",
                ),
                (
                    "Card payment declined",
                    "The renewal payment was declined although the card is valid until 2028.",
                ),
            ],
            "network": [
                (
                    "VPN keeps disconnecting",
                    "Since this morning the VPN drops every few minutes, at home and in the "
                    "office.",
                ),
                (
                    "Wi-Fi very slow on the 3rd floor",
                    "Pages take ages to load on the 3rd floor; the 2nd floor is fine.",
                ),
            ],
            "hardware": [
                (
                    "Laptop won't boot after update",
                    "My laptop shows a black screen since last night's update. "
                    "The power light is on.",
                ),
                (
                    "Printer on the 2nd floor keeps jamming",
                    "Every second print job jams the printer next to the kitchen.",
                ),
            ],
            "accounts": [
                (
                    "Locked out of my account",
                    "I typed the wrong password too often and now my account is locked.",
                ),
                (
                    "New starter needs access",
                    "Our new colleague starts on Monday and needs an account and the shared drive.",
                ),
            ],
            "email": [
                (
                    "E-mails to a customer bounce",
                    "Mail to one of our biggest customers comes back with 'mailbox unavailable'.",
                ),
                (
                    "Shared mailbox missing in Outlook",
                    "The team mailbox disappeared from Outlook for everyone in accounting.",
                ),
            ],
        },
        "agent_first": "Hi {customer}, thanks for reaching out. I'm {agent} and I'm looking "
        "into this now.",
        "agent_ask": "Could you send me a screenshot of the error and tell me when it started?",
        "agent_solved": "This should be fixed now. Please let me know if anything still looks "
        "wrong.",
        "customer_reply": "Sure, the screenshot is attached. It started right after lunch "
        "yesterday.",
        "customer_nudge": "Any news on this? It's still blocking our team.",
    },
    "es": {
        "tickets": {
            "billing": [
                (
                    "La factura muestra un importe incorrecto",
                    "En la factura de este mes aparecen 48 licencias, pero solo tenemos "
                    "40 puestos. "
                    "¿Pueden revisarla y enviarnos una corregida?",
                ),
            ],
            "network": [
                (
                    "La VPN se desconecta constantemente",
                    "Desde esta mañana la VPN se cae cada pocos minutos, en casa y en la oficina.",
                ),
            ],
            "hardware": [
                (
                    "El portátil no arranca tras la actualización",
                    "Desde la actualización de anoche, la pantalla de mi portátil se queda "
                    "en negro. "
                    "La luz de encendido está encendida.",
                ),
            ],
            "accounts": [
                (
                    "Mi cuenta está bloqueada",
                    "Introduje mal la contraseña varias veces y ahora la cuenta está bloqueada. "
                    "¿Pueden desbloquearla?",
                ),
            ],
            "email": [
                (
                    "Los correos a un cliente rebotan",
                    "Los correos a uno de nuestros principales clientes vuelven con el error "
                    "«buzón no disponible».",
                ),
            ],
        },
        "agent_first": "Hola, {customer}: gracias por escribirnos. Soy {agent} y ya estoy "
        "revisando el caso.",
        "agent_ask": "¿Podría enviarme una captura de pantalla del error e indicarme desde "
        "cuándo ocurre?",
        "agent_solved": "Ya debería estar resuelto. Avíseme si algo sigue sin funcionar.",
        "customer_reply": "Claro, adjunto la captura. Empezó ayer justo después de comer.",
        "customer_nudge": "¿Hay alguna novedad? Seguimos sin poder trabajar con normalidad.",
    },
    "de": {
        "tickets": {
            "billing": [
                (
                    "Rechnung mit falschem Betrag",
                    "Auf unserer Rechnung für diesen Monat stehen 48 Lizenzen, wir haben aber nur "
                    "40 Arbeitsplätze. Können Sie das prüfen und die Rechnung korrigieren?",
                ),
            ],
            "network": [
                (
                    "VPN-Verbindung bricht ständig ab",
                    "Seit heute Morgen bricht das VPN alle paar Minuten ab, zu Hause und im Büro.",
                ),
            ],
            "hardware": [
                (
                    "Laptop startet nach Update nicht mehr",
                    "Seit dem Update gestern Abend bleibt der Bildschirm meines Laptops schwarz. "
                    "Die Betriebsanzeige leuchtet.",
                ),
            ],
            "accounts": [
                (
                    "Benutzerkonto gesperrt",
                    "Ich habe mein Passwort mehrmals falsch eingegeben, jetzt ist mein Konto "
                    "gesperrt. Bitte entsperren Sie es.",
                ),
            ],
            "email": [
                (
                    "E-Mails an einen Kunden kommen zurück",
                    "E-Mails an einen unserer wichtigsten Kunden kommen mit „Postfach nicht "
                    "verfügbar“ zurück.",
                ),
            ],
        },
        "agent_first": "Hallo {customer}, vielen Dank für Ihre Nachricht. Ich bin {agent} und "
        "kümmere mich gleich darum.",
        "agent_ask": "Könnten Sie mir einen Screenshot der Fehlermeldung schicken und sagen, "
        "seit wann das Problem besteht?",
        "agent_solved": "Das Problem sollte jetzt behoben sein. Melden Sie sich bitte, falls "
        "noch etwas nicht funktioniert.",
        "customer_reply": "Gerne, der Screenshot ist im Anhang. Es fing gestern direkt nach der "
        "Mittagspause an.",
        "customer_nudge": "Gibt es schon Neuigkeiten? Unser Team ist weiterhin blockiert.",
    },
    "fr": {
        "tickets": {
            "billing": [
                (
                    "Montant erroné sur la facture",
                    "Notre facture du mois indique 48 licences alors que nous n'avons que "
                    "40 postes. "
                    "Pourriez-vous vérifier et nous envoyer une facture corrigée ?",
                ),
            ],
            "network": [
                (
                    "Le VPN se déconnecte sans cesse",
                    "Depuis ce matin, le VPN se coupe toutes les quelques minutes, à la maison "
                    "comme au bureau.",
                ),
            ],
            "hardware": [
                (
                    "L'ordinateur portable ne démarre plus",
                    "Depuis la mise à jour d'hier soir, l'écran de mon portable reste noir. "
                    "Le voyant d'alimentation est allumé.",
                ),
            ],
            "accounts": [
                (
                    "Compte verrouillé",
                    "J'ai saisi un mauvais mot de passe plusieurs fois et mon compte est "
                    "verrouillé. Pouvez-vous le débloquer ?",
                ),
            ],
            "email": [
                (
                    "Les e-mails vers un client sont rejetés",
                    "Les e-mails envoyés à l'un de nos principaux clients reviennent avec l'erreur "
                    "« boîte aux lettres indisponible ».",
                ),
            ],
        },
        "agent_first": "Bonjour {customer}, merci pour votre message. Je suis {agent} et je "
        "m'en occupe dès maintenant.",
        "agent_ask": "Pourriez-vous m'envoyer une capture d'écran de l'erreur et me dire depuis "
        "quand le problème se produit ?",
        "agent_solved": "Le problème devrait être résolu. N'hésitez pas à me recontacter si "
        "quelque chose ne fonctionne toujours pas.",
        "customer_reply": "Bien sûr, la capture est en pièce jointe. Cela a commencé hier juste "
        "après le déjeuner.",
        "customer_nudge": "Avez-vous du nouveau ? Notre équipe est toujours bloquée.",
    },
    "pt": {
        "tickets": {
            "billing": [
                (
                    "Fatura com valor errado",
                    "A fatura deste mês mostra 48 licenças, mas temos apenas 40 usuários. "
                    "Vocês podem verificar e enviar uma fatura corrigida?",
                ),
            ],
            "network": [
                (
                    "VPN caindo toda hora",
                    "Desde hoje de manhã a VPN cai a cada poucos minutos, em casa e no escritório.",
                ),
            ],
            "hardware": [
                (
                    "Notebook não liga depois da atualização",
                    "Depois da atualização de ontem à noite, a tela do meu notebook fica preta. "
                    "A luz de energia está acesa.",
                ),
            ],
            "accounts": [
                (
                    "Conta bloqueada",
                    "Errei a senha várias vezes e agora minha conta está bloqueada. "
                    "Vocês podem desbloquear?",
                ),
            ],
            "email": [
                (
                    "E-mails para um cliente estão voltando",
                    "Os e-mails para um dos nossos principais clientes voltam com o erro "
                    '"caixa postal indisponível".',
                ),
            ],
        },
        "agent_first": "Olá, {customer}! Obrigado pelo contato. Sou {agent} e já estou "
        "verificando o problema.",
        "agent_ask": "Você pode me enviar um print do erro e dizer desde quando isso acontece?",
        "agent_solved": "O problema deve estar resolvido agora. Me avise se algo ainda não "
        "estiver funcionando.",
        "customer_reply": "Claro, segue o print em anexo. Começou ontem logo depois do almoço.",
        "customer_nudge": "Alguma novidade? Nossa equipe continua parada.",
    },
    "ja": {
        "tickets": {
            "billing": [
                (
                    "請求金額が間違っています",
                    "今月の請求書に48ライセンスと記載されていますが、実際の利用は40席です。"
                    "ご確認のうえ、訂正した請求書をお送りいただけますか。",
                ),
            ],
            "network": [
                (
                    "VPNが頻繁に切断されます",
                    "今朝から、自宅でもオフィスでも数分おきにVPNが切断されます。",
                ),
            ],
            "hardware": [
                (
                    "アップデート後にノートPCが起動しません",
                    "昨夜のアップデート以降、ノートPCの画面が真っ暗なままです。"
                    "電源ランプは点灯しています。",
                ),
            ],
            "accounts": [
                (
                    "アカウントがロックされました",
                    "パスワードを何度か間違えたため、アカウントがロックされてしまいました。"
                    "解除をお願いします。",
                ),
            ],
            "email": [
                (
                    "取引先へのメールが戻ってきます",
                    "主要な取引先へのメールが「メールボックスを利用できません」というエラーで"
                    "戻ってきます。",
                ),
            ],
        },
        "agent_first": "{customer}様、お問い合わせありがとうございます。担当の{agent}です。"
        "ただいま確認しております。",
        "agent_ask": "エラー画面のスクリーンショットと、いつ頃から発生しているかを教えて"
        "いただけますか。",
        "agent_solved": "問題は解決したはずです。まだ不具合があればお知らせください。",
        "customer_reply": "スクリーンショットを添付します。昨日の昼休みの直後から発生しています。",
        "customer_nudge": "その後いかがでしょうか。まだ業務に支障が出ています。",
    },
    "ar": {
        "tickets": {
            "billing": [
                (
                    "مبلغ الفاتورة غير صحيح",
                    "تُظهر فاتورة هذا الشهر 48 ترخيصًا، بينما لدينا 40 مستخدمًا فقط. "
                    "هل يمكنكم مراجعتها وإرسال فاتورة مصححة؟",
                ),
            ],
            "network": [
                (
                    "انقطاع متكرر في اتصال VPN",
                    "منذ صباح اليوم ينقطع اتصال VPN كل بضع دقائق، في المنزل وفي المكتب.",
                ),
            ],
            "hardware": [
                (
                    "الحاسوب المحمول لا يعمل بعد التحديث",
                    "بعد تحديث الليلة الماضية تبقى شاشة حاسوبي المحمول سوداء، "
                    "مع أن مؤشر الطاقة مضاء.",
                ),
            ],
            "accounts": [
                (
                    "تم قفل حسابي",
                    "أدخلت كلمة المرور بشكل خاطئ عدة مرات والآن حسابي مقفل. أرجو إلغاء القفل.",
                ),
            ],
            "email": [
                (
                    "رسائل البريد إلى أحد العملاء ترتد",
                    "ترتد الرسائل المرسلة إلى أحد أهم عملائنا مع الخطأ «صندوق البريد غير متاح».",
                ),
            ],
        },
        "agent_first": "مرحبًا {customer}، شكرًا لتواصلك معنا. معك {agent} وأنا أتابع المشكلة الآن.",
        "agent_ask": "هل يمكنك إرسال لقطة شاشة للخطأ وإخباري منذ متى بدأت المشكلة؟",
        "agent_solved": "يُفترض أن المشكلة قد حُلّت الآن. أخبرني إن كان هناك شيء لا يزال لا يعمل.",
        "customer_reply": "بالتأكيد، أرفقت لقطة الشاشة. بدأت المشكلة أمس بعد الغداء مباشرة.",
        "customer_nudge": "هل من جديد؟ ما زال فريقنا متوقفًا عن العمل.",
    },
}

__all__ = ["DEMO_FILE", "create_sample_tickets", "load_demo", "login_lines"]
