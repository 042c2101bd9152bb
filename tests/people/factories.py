from __future__ import annotations

import factory

from essaim.people.models import Person, Tag, person_search_text


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"étiquette {n}")


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    # Neutral, unique defaults: a random real name or town ("Michel", "Saint-Michel") would
    # match the searches tests make and fail them now and then.
    given_name = factory.Sequence(lambda n: f"Prénomtest{n}")
    family_name = factory.Sequence(lambda n: f"Nomtest{n}")
    email = factory.Sequence(lambda n: f"contact{n}@exemple.fr")
    city = "Villetest"
    postal_code = factory.Faker("postcode", locale="fr_FR")
    is_sympathiser = True
    search_text = factory.LazyAttribute(
        lambda p: person_search_text(
            given_name=p.given_name, family_name=p.family_name, email=p.email, city=p.city
        )
    )

    @factory.post_generation
    def network_tally(self, create: bool, extracted: object, **kwargs: object) -> None:
        # As person_create does: the person counts in the network figures' arrivals.
        if create:
            from essaim.referrals.tally import person_presence, tally_add

            tally_add(person_presence(self, 1))
